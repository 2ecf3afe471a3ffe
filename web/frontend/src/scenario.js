// The scenario editor: a region, a seed, a language and steps. Each step's form is made from
// GET /api/analyses (every option's key, flag, whether required, and the kind of input), so a
// new analysis gets its form without a change here. Values go to the server as typed; the
// server checks them with the CLI's own parsers and its messages are shown as they come.

import { post, put, del, upload } from "./api.js";
import { fill, h, toast } from "./dom.js";
import { t } from "./i18n.js";

function optionLabel(kind, option) {
  return h("span", {},
    option.key.replace(/_/g, " "), " ",
    h("span", { class: "flag" }, option.flag), option.required ? ` · ${t("required")}` : "");
}

function optionInput(option, value, files, onchange) {
  const data = { "data-option": option.key };
  if (option.input === "flag" || option.input === "choice") {
    const values = option.input === "flag" ? [[true, t("yes")], [false, t("no")]] : option.choices.map((c) => [c, c]);
    const chosen = values.findIndex(([v]) => v === value);
    return h("select", { ...data, onchange: (e) => onchange(e.target.value === "" ? undefined : values[Number(e.target.value)][0]) },
      h("option", { value: "" }, t("notGiven")),
      values.map(([, text], i) => h("option", { value: String(i), selected: i === chosen }, text)));
  }
  if (option.input === "file" || option.input === "files") {
    const multiple = option.input === "files";
    const chosen = new Set(multiple ? value ?? [] : [value]);
    return h("select", {
      ...data, multiple,
      onchange: (e) => {
        const picked = [...e.target.selectedOptions].map((o) => o.value).filter(Boolean);
        onchange(multiple ? (picked.length ? picked : undefined) : picked[0]);
      },
    }, multiple ? null : h("option", { value: "" }, t("notGiven")),
    files.map((f) => h("option", { value: f.name, selected: chosen.has(f.name) }, f.name)));
  }
  const numeric = option.input === "number" || option.input === "integer";
  return h("input", {
    ...data, value: value ?? "", inputmode: numeric ? "decimal" : null,
    placeholder: option.input === "list" ? "a, b, c" : t("notGiven"),
    oninput: (e) => onchange(e.target.value.trim() === "" ? undefined : e.target.value.trim()),
  });
}

/** The editor for `scenario` (null: a new one) in `node`. */
export function scenarioEditor(node, { scenario, regions, analyses, canEdit, onsaved, onrun, onclose }) {
  const draft = scenario
    ? structuredClone({ id: scenario.id, name: scenario.name, region_id: scenario.region_id, seed: scenario.seed, lang: scenario.lang, steps: scenario.steps, files: scenario.files })
    : { id: null, name: "", region_id: regions.find((r) => r.status === "ready")?.id ?? null, seed: 0, lang: "zh", steps: [], files: [] };
  const byKind = Object.fromEntries(analyses.map((a) => [a.kind, a]));
  const error = h("p", { class: "error", role: "alert", "data-test": "scenario-error" });

  const body = () => ({
    name: draft.name,
    region_id: draft.region_id,
    seed: Number(draft.seed) || 0,
    lang: draft.lang,
    steps: draft.steps.map((s) => ({ kind: s.kind, name: s.name || null, options: Object.fromEntries(Object.entries(s.options).filter(([, v]) => v !== undefined)) })),
  });

  const save = async () => {
    error.textContent = "";
    try {
      const saved = draft.id ? await put(`/scenarios/${draft.id}`, body()) : await post("/scenarios", body());
      draft.id = saved.id;
      draft.files = saved.files;
      onsaved(saved);
      return saved;
    } catch (e) {
      error.textContent = e.message;
      return null;
    }
  };

  const draw = () => {
    const disabled = !canEdit;
    const steps = draft.steps.map((step, index) => {
      const spec = byKind[step.kind];
      const options = spec ? spec.options.map((option) =>
        h("label", {}, optionLabel(step.kind, option),
          optionInput(option, step.options[option.key], draft.files, (value) => { step.options[option.key] = value; }))) : [];
      return h("div", { class: "step", "data-step": step.kind },
        h("div", { class: "row" }, h("strong", {}, step.kind),
          h("input", { placeholder: t("stepName"), value: step.name ?? "", oninput: (e) => (step.name = e.target.value.trim()) }),
          h("button", { type: "button", class: "danger", disabled, onclick: () => { draft.steps.splice(index, 1); draw(); } }, t("removeStep"))),
        h("div", { class: "options" }, options));
    });
    const kind = h("select", { "data-test": "step-kind" }, analyses.map((a) => h("option", { value: a.kind }, a.kind)));
    const fileInput = h("input", { type: "file", "data-test": "input-file" });
    fill(node,
      h("h2", {}, draft.id ? `${t("scenarios")} #${draft.id}` : t("newScenario")),
      h("label", {}, h("span", {}, t("name")), h("input", { "data-test": "scenario-name", value: draft.name, disabled, oninput: (e) => (draft.name = e.target.value) })),
      h("label", {}, h("span", {}, t("region")),
        h("select", { "data-test": "scenario-region", disabled, onchange: (e) => (draft.region_id = e.target.value ? Number(e.target.value) : null) },
          h("option", { value: "" }, t("noRegion")),
          regions.filter((r) => r.status === "ready").map((r) => h("option", { value: r.id, selected: r.id === draft.region_id }, `${r.name} (#${r.id})`)))),
      h("div", { class: "row" },
        h("label", {}, h("span", {}, t("seed")), h("input", { value: draft.seed, size: 10, disabled, oninput: (e) => (draft.seed = e.target.value) })),
        h("label", {}, h("span", {}, t("language")),
          h("select", { disabled, onchange: (e) => (draft.lang = e.target.value) },
            ["zh", "en"].map((l) => h("option", { value: l, selected: draft.lang === l }, l === "zh" ? "中文" : "English"))))),
      h("h3", {}, t("steps")), steps,
      canEdit ? h("div", { class: "row" }, kind,
        h("button", { type: "button", "data-test": "add-step", onclick: () => { draft.steps.push({ kind: kind.value, name: "", options: {} }); draw(); } }, t("addStep"))) : null,
      h("h3", {}, t("files")),
      h("ul", {}, draft.files.map((f) => h("li", {}, `${f.name} (${f.size.toLocaleString()} B) `,
        canEdit ? h("button", { type: "button", class: "danger", onclick: async () => { await del(`/scenarios/${draft.id}/files/${encodeURIComponent(f.name)}`); draft.files = draft.files.filter((x) => x !== f); draw(); } }, "×") : null))),
      canEdit ? h("div", { class: "row" }, fileInput, h("button", {
        type: "button",
        onclick: async () => {
          if (!fileInput.files.length) return;
          const saved = draft.id ? { id: draft.id } : await save();
          if (!saved) return;
          const form = new FormData();
          form.append("file", fileInput.files[0]);
          try {
            draft.files = [...draft.files.filter((f) => f.name !== fileInput.files[0].name), await upload(`/scenarios/${saved.id}/files`, form)];
            draw();
          } catch (e) {
            error.textContent = e.message;
          }
        },
      }, t("uploadFile"))) : null,
      error,
      h("div", { class: "row" },
        canEdit ? h("button", { type: "button", class: "primary", "data-test": "save-scenario", onclick: async () => { if (await save()) toast(t("saved")); } }, t("save")) : null,
        canEdit ? h("button", { type: "button", class: "primary", "data-test": "run-scenario", onclick: async () => { const saved = await save(); if (saved) onrun(saved, error); } }, t("run")) : null,
        canEdit && draft.id ? h("button", { type: "button", class: "danger", onclick: async () => { try { await del(`/scenarios/${draft.id}`); toast(t("deleted")); onclose(true); } catch (e) { error.textContent = e.message; } } }, t("delete")) : null,
        h("button", { type: "button", onclick: () => onclose(false) }, t("cancel"))));
  };
  draw();
}
