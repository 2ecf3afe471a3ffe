"""Translations of every label of the report: English (``en``) and Simplified Chinese (``zh_CN``).

A :class:`Translator` looks labels up by key and raises :class:`KeyError` for a key its
catalogue lacks, so a missing label fails loudly in the tests instead of showing a raw key.
Names that come from the data (a tier, a service, a profile, a level, a population source) go
through :meth:`Translator.name`, which falls back to the raw name when the catalogue does not
know it. Numbers are formatted with the language's separators.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from accessplan._errors import InputError
from accessplan.io.population import ESTIMATE_SOURCE

EN: dict[str, str] = {
    # document
    "report.title": "Service circle report: {region}",
    "report.subtitle": "Travel times to basic public services on the real road network and terrain",
    "report.footer": "Made with accessplan {version}.",
    "report.contents": "Contents",
    # sections
    "section.summary": "Region summary",
    "section.key_figures": "Key figures",
    "section.coverage_map": "Coverage map",
    "section.gaps_map": "Coverage gaps",
    "section.unit_chart": "Coverage by administrative unit",
    "section.curve": "People by travel time",
    "section.tables": "Tables",
    "section.method": "Method",
    "section.provenance": "Provenance",
    # region summary
    "summary.settlements": "Settlements",
    "summary.population": "Population",
    "summary.unknown_population": "Settlements with unknown population",
    "summary.admin_units": "Administrative units",
    "summary.roads": "Road network",
    "summary.facilities": "Facilities by tier",
    "unit.km": "{value} km",
    "unit.people": "{value} people",
    # key figures
    "circle": "{minutes}-minute service circle",
    "key.caption": (
        "Share of the people of the whole region who reach any {service} facility within "
        "each threshold."
    ),
    "key.people": "{covered} of {total} people",
    # maps
    "map.coverage.caption": (
        "Settlements coloured by the minutes to the nearest {service} facility ({profile}) "
        "and sized by population; shaded areas lie within each threshold of a facility."
    ),
    "map.gaps.caption": (
        "Settlements outside the {circle} of every {service} facility ({profile}), sized by "
        "population; the largest gaps are named."
    ),
    "legend.settlements": "Settlements: minutes",
    "legend.areas": "Area reached",
    "legend.facilities": "Facilities",
    "legend.size": "Population",
    "legend.roads": "Roads",
    "legend.upto": "≤ {minutes} min",
    "legend.between": "{low}–{high} min",
    "legend.over": "> {minutes} min",
    "legend.unreachable": "Unreachable",
    "legend.within": "Within {minutes} min",
    "legend.gap": "Outside {minutes} min",
    "legend.covered": "Within {minutes} min",
    "legend.over_or_unreachable": "> {minutes} min or unreachable",
    "legend.no_population": "No known population",
    "legend.settlements_plan": "Settlements",
    "legend.reached_before": "Within {minutes} min already",
    "legend.reached_new": "Within {minutes} min with the new sites",
    "legend.still_out": "Still beyond {minutes} min",
    "legend.sites": "Sites of the plan",
    "legend.site_existing": "Existing",
    "legend.site_new": "New",
    # charts
    "chart.units.caption": (
        "Share of each unit's people within each threshold of any {service} facility "
        "({profile}); the least covered units come first, with their share within the first "
        "threshold on the right."
    ),
    "chart.units.xlabel": "Share of people",
    "chart.curve.caption": (
        "Share of the people who reach any {service} facility within the minutes on the "
        "horizontal axis, one line per travel mode; dashed lines mark the thresholds."
    ),
    "chart.curve.xlabel": "Minutes to the nearest facility",
    "chart.curve.ylabel": "Share of people",
    "chart.no_data": "No people with a known population to show.",
    # unit levels as headings
    "heading.units.province": "Coverage by province",
    "heading.units.city": "Coverage by city",
    "heading.units.county": "Coverage by county",
    "heading.units.township": "Coverage by township",
    "heading.units.region": "Coverage of the whole region",
    # tables
    "table.coverage_region": "Coverage of the whole region",
    "table.coverage_region.caption": (
        "Share of people within each threshold of the nearest facility of each tier; "
        "“{any}” is the nearest facility of any tier of the service."
    ),
    "table.coverage_units.caption": "{service}, any facility, {profile}.",
    "table.gaps": "Largest gaps",
    "table.gaps.caption": (
        "Settlements outside the {circle} of any {service} facility ({profile}), ranked by "
        "people × minutes beyond it; the first {n} of {total}."
    ),
    "table.gaps.none": "Every settlement lies within the {circle} of a {service} facility.",
    "table.completeness": "Completeness of the three-tier health network",
    "table.completeness.no_units": (
        "The region has no administrative units, so the completeness of the three-tier "
        "network is not assessed."
    ),
    "table.completeness.all_ok": "Every unit holds its required facility ({n} units checked).",
    "table.completeness.summary": "{missing} of {total} units lack their required facility.",
    "table.more": "… and {n} more.",
    "table.referral": "Referral chains over the limit",
    "table.referral.caption": (
        "Settlement → nearest township health centre → county hospital, limit {limit} "
        "minutes; the rows below are for {profile}, most people first (the first {n} of "
        "{total})."
    ),
    "table.referral.none": "No referral chain takes longer than {limit} minutes.",
    "table.time_stats": "Travel time statistics",
    "table.time_stats.caption": (
        "Population-weighted minutes to the nearest facility, whole region; the mean is over "
        "the people who can reach one."
    ),
    # column headers
    "col.service": "Service",
    "col.tier": "Tier",
    "col.count": "Number",
    "col.profile": "Travel mode",
    "col.population": "Population",
    "col.settlement": "Settlement",
    "col.admin_unit": "Administrative unit",
    "col.code": "Code",
    "col.name": "Name",
    "col.level": "Level",
    "col.required_tier": "Required facility",
    "col.minutes": "Minutes",
    "col.minutes_beyond": "Minutes beyond",
    "col.people_minutes": "People × minutes",
    "col.first_stop": "First stop",
    "col.to_first": "Minutes to it",
    "col.second_stop": "Referral hospital",
    "col.first_to_second": "Transfer minutes",
    "col.chain": "Whole chain (min)",
    "col.settlements_over": "Settlements over the limit",
    "col.people_over": "People over the limit",
    "col.share_over": "Share of people",
    "col.mean": "Mean (min)",
    "col.median": "Median (min)",
    "col.p90": "90th percentile (min)",
    "col.unreachable": "People who cannot reach one",
    "col.item": "Item",
    "col.value": "Value",
    # values
    "value.unreachable": "unreachable",
    "value.unknown": "unknown",
    "value.none": "none",
    "list.separator": ", ",
    "summary.level_count": "{level}: {n}",
    "method.source_count": "{source} ({n})",
    # method
    "method.times": (
        "Travel times are shortest paths over the road network from every settlement to the "
        "nearest facility of each tier, for each travel mode: {profiles}. The first mode, "
        "{main}, is the one shown in the maps and the charts by unit."
    ),
    "method.walk": (
        "Walking speed follows Tobler's hiking function on the slope of every road segment, "
        "taken from the elevation model, so going up and coming down take different times. "
        "The walk from a settlement to the nearest road is off path, at three fifths of that "
        "speed."
    ),
    "method.vehicle": (
        "Motor vehicles keep the speed of the road class up to a 3 % grade and slow down on "
        "steeper and rougher roads; they do not use roads their class forbids."
    ),
    "method.thresholds": (
        "Thresholds: {thresholds} minutes. A settlement lies within a threshold when it "
        "reaches the nearest facility of the tier (or of any tier of the service) within it."
    ),
    "method.population": (
        "Population sources: {sources}. {unknown} settlements have an unknown population; "
        "they count as 0 people in every share."
    ),
    "method.referral": (
        "The referral chain leads from a settlement to its nearest township health centre and "
        "on to the county hospital nearest to that centre; it should take at most {limit} "
        "minutes."
    ),
    "method.clinic_rule": (
        "An administrative village without a clinic of its own still counts as complete when "
        "every settlement in it reaches a clinic within {minutes} minutes."
    ),
    # data names: services, tiers, profiles, levels, population sources
    "service.health": "Health",
    "service.school": "Education",
    "service_in_text.health": "health",
    "service_in_text.school": "school",
    "tier.village_clinic": "Village clinic",
    "tier.township_health_center": "Township health centre",
    "tier.county_hospital": "County hospital",
    "tier.mobile_clinic": "Mobile clinic",
    "tier.teaching_point": "Teaching point",
    "tier.primary": "Primary school",
    "tier.middle": "Middle school",
    "tier.any": "Any facility",
    "profile.walk": "Walking",
    "profile.motorcycle": "Motorcycle",
    "profile.car": "Car",
    "profile.mobile_clinic": "Mobile clinic",
    "level.region": "Whole region",
    "level.province": "Province",
    "level.city": "City",
    "level.county": "County",
    "level.township": "Township",
    "level.village": "Administrative village",
    "source.": "unknown",
    "source.osm": "OpenStreetMap",
    "source.synthetic": "synthetic",
    "source.table": "population table",
    "source.raster": "population raster",
    "source.settlements file": "settlements file",
    f"source.{ESTIMATE_SOURCE}": "estimated (share of the total by kind of place)",
    # runs of several steps
    "report.title_run": "Planning report: {name}",
    # speeds of the profiles
    "col.road_class": "Road class",
    "table.speeds.caption": (
        "Speeds (km/h) on flat, paved ground by road class, as the travel profiles define "
        "them; walking speeds are scaled by Tobler's function on each slope."
    ),
    # site plans
    "site.title": "Where to add {tier}s: {region}",
    "section.plan_map": "The plan on the map",
    "site.card.added": "New {tier}s",
    "site.card.existing": "besides {n} existing",
    "site.card.before": "{share} before the plan",
    "site.card.optimal": "Optimal",
    "site.card.solver": "Solution of the {model}",
    "site.card.runtime": "{seconds} s to solve",
    "site.map.caption": (
        "Settlements sized by population: blue reach a {tier} within {minutes} minutes "
        "already, green only thanks to the new sites, red are still beyond; stars are the "
        "plan's sites, the new ones named."
    ),
    "site.map.caption_minutes": (
        "Settlements coloured by the minutes to the nearest {tier} after the plan and sized "
        "by population; stars are the plan's sites, the new ones named."
    ),
    "site.status.existing": "existing",
    "site.status.new": "new",
    "site.table.sites": "The plan's {tier}s and the settlements each serves.",
    "site.table.closer": (
        "Settlements the plan brings closer to a site, most people first (the first {n} of "
        "{total})."
    ),
    "site.table.none": "The plan brings no settlement closer to a site.",
    "site.method.model": (
        "Sites were chosen by the {model} for {tier}s, on travel times by {profile} over the "
        "road network; the existing {tier}s stay open."
    ),
    "site.method.pool": (
        "New sites are chosen among the service's lower-tier facilities, which could be "
        "raised to the tier."
    ),
    "site.method.threshold": "Coverage standard: {minutes} minutes.",
    "site.method.max": "No settlement is assigned to a site more than {minutes} minutes away.",
    "site.method.optimal": "The solver proved the plan optimal.",
    "site.method.gap": (
        "The solver stopped before proving the plan optimal: it is at most {gap} from the "
        "best possible (bound {bound})."
    ),
    "model.pmedian": "p-median model (least total travel time)",
    "model.pcenter": "p-center model (least longest trip)",
    "model.maxcover": "maximal covering model (most people within the standard)",
    "model.setcover": "set covering model (fewest sites covering everyone)",
    "model.cpmedian": "capacitated p-median model",
    "model.cmaxcover": "capacitated maximal covering model",
    "col.status": "Status",
    "col.settlements_served": "Settlements served",
    "col.minutes_before": "Minutes before",
    "col.minutes_after": "Minutes after",
    # raster accessibility
    "surface.title": "Raster accessibility (as AccessMod)",
    "section.travel_time_map": "Travel time map",
    "surface.map.caption": (
        "Minutes {direction} the nearest facility, cell by cell; cells left blank lie beyond "
        "the maximum time or cannot be crossed; outlines are the facilities' catchments."
    ),
    "surface.direction.towards": "to",
    "surface.direction.from": "from",
    "surface.card.reached": "Cells within {minutes} minutes",
    "surface.card.cells": "{n} cells",
    "surface.card.used": "Facilities used",
    "surface.card.flagged": "{n} flagged (off the grid, on a barrier or impassable)",
    "surface.card.covered": "Covered within capacity",
    "surface.table.facilities": "Each facility's cell and whether it could start the search.",
    "surface.table.no_population": (
        "No population grid was given, so capacity coverage and zonal tables are not computed."
    ),
    "surface.table.capacity": (
        "Capacity-limited coverage, facilities in processing order (by {order}, largest first)."
    ),
    "surface.table.zonal": (
        "People, people covered within capacity, and people within each threshold, by zone."
    ),
    "surface.table.scenario": "The scenario table: speed (km/h on flat ground) and mode per class.",
    "surface.total": "Total",
    "surface.order.population": "population within the maximum time",
    "surface.order.capacity": "capacity",
    "surface.order.field": "a facility field",
    "surface.status.ok": "used",
    "surface.status.outside_dem": "outside the elevation grid",
    "surface.status.on_barrier": "on a barrier",
    "surface.status.impassable": "on an impassable cell",
    "surface.method.merge": (
        "Land cover, roads and barriers are merged on the elevation grid into one class per "
        "cell; the scenario table gives each class a speed and a mode of travel."
    ),
    "surface.method.anisotropic": (
        "Anisotropic: walking follows Tobler's function of the slope between cells, cycling "
        "keeps its power on slopes, motor vehicles ignore slopes."
    ),
    "surface.method.isotropic": "Isotropic: every cell is crossed at its flat-ground speed.",
    "surface.method.search": (
        "Travel time is the shortest accumulated time {direction} the nearest facility over "
        "{moves}, up to {minutes} minutes."
    ),
    "surface.moves.8": "the 8 neighbours of each cell",
    "surface.moves.16": "the 16 neighbours of each cell (with knight's moves)",
    "surface.method.capacity": (
        "Capacity coverage takes the facilities in turn and grows each one's catchment "
        "minute by minute over the people not yet covered until its capacity or the maximum "
        "time is reached, as AccessMod's geographic coverage analysis does."
    ),
    "legend.travel_time": "Travel time",
    "legend.facility_used": "Used",
    "legend.facility_flagged": "Flagged",
    "col.facility": "Facility",
    "col.cell": "Cell (row, column)",
    "col.rank": "Order",
    "col.capacity": "Capacity",
    "col.covered": "Covered",
    "col.catchment_minutes": "Catchment (min)",
    "col.limit_reached": "Reached the time limit",
    "col.zone": "Zone",
    "col.class": "Class",
    "col.label": "Label",
    "col.speed": "Speed (km/h)",
    "col.mode": "Mode",
    "mode.WALKING": "walking",
    "mode.BICYCLING": "bicycling",
    "mode.MOTORIZED": "motorized",
    "value.yes": "yes",
    "value.no": "no",
    "value.unlimited": "unlimited",
    "highway.motorway": "motorway",
    "highway.motorway_link": "motorway link",
    "highway.trunk": "trunk road",
    "highway.trunk_link": "trunk link",
    "highway.primary": "primary road",
    "highway.primary_link": "primary link",
    "highway.secondary": "secondary road",
    "highway.secondary_link": "secondary link",
    "highway.tertiary": "tertiary road",
    "highway.tertiary_link": "tertiary link",
    "highway.unclassified": "minor road",
    "highway.residential": "residential street",
    "highway.living_street": "living street",
    "highway.service": "service road",
    "highway.road": "road (unknown class)",
    "highway.track": "track",
    "highway.path": "path",
    "highway.footway": "footway",
    "highway.pedestrian": "pedestrian street",
    "highway.steps": "steps",
    "highway.bridleway": "bridleway",
    "highway.cycleway": "cycleway",
}

ZH_CN: dict[str, str] = {
    # document
    "report.title": "{region}服务圈评估报告",
    "report.subtitle": "基于真实路网与地形的基本公共服务出行时间",
    "report.footer": "由 accessplan {version} 生成。",
    "report.contents": "目录",
    # sections
    "section.summary": "区域概况",
    "section.key_figures": "主要指标",
    "section.coverage_map": "覆盖范围图",
    "section.gaps_map": "覆盖盲区",
    "section.unit_chart": "各行政单元覆盖情况",
    "section.curve": "人口与出行时间",
    "section.tables": "统计表",
    "section.method": "方法说明",
    "section.provenance": "数据来源与版本",
    # region summary
    "summary.settlements": "居民点",
    "summary.population": "人口",
    "summary.unknown_population": "人口未知的居民点",
    "summary.admin_units": "行政单元",
    "summary.roads": "路网",
    "summary.facilities": "各级机构数量",
    "unit.km": "{value} 公里",
    "unit.people": "{value} 人",
    # key figures
    "circle": "{minutes}分钟服务圈",
    "key.caption": "全区域在各时间阈值内可到达任一{service}机构的人口比例。",
    "key.people": "{total} 人中的 {covered} 人",
    # maps
    "map.coverage.caption": (
        "居民点按到最近{service}机构的时间（{profile}）着色、按人口定大小；"
        "阴影为各时间阈值内可到达机构的范围。"
    ),
    "map.gaps.caption": (
        "{circle}（{profile}）内无法到达任一{service}机构的居民点，按人口定大小；并标出最大的盲区。"
    ),
    "legend.settlements": "居民点：分钟",
    "legend.areas": "可达范围",
    "legend.facilities": "机构",
    "legend.size": "人口",
    "legend.roads": "道路",
    "legend.upto": "≤ {minutes} 分钟",
    "legend.between": "{low}–{high} 分钟",
    "legend.over": "> {minutes} 分钟",
    "legend.unreachable": "无法到达",
    "legend.within": "{minutes} 分钟内",
    "legend.gap": "{minutes} 分钟内无法到达",
    "legend.covered": "{minutes} 分钟内可到达",
    "legend.over_or_unreachable": "> {minutes} 分钟或无法到达",
    "legend.no_population": "无已知人口",
    "legend.settlements_plan": "居民点",
    "legend.reached_before": "原已在 {minutes} 分钟内",
    "legend.reached_new": "新增站点后 {minutes} 分钟内",
    "legend.still_out": "仍超过 {minutes} 分钟",
    "legend.sites": "规划站点",
    "legend.site_existing": "现有",
    "legend.site_new": "新增",
    # charts
    "chart.units.caption": (
        "各单元在各时间阈值内可到达任一{service}机构的人口比例（{profile}）；覆盖最差的单元排在最前，"
        "右侧数字为第一个时间阈值内的比例。"
    ),
    "chart.units.xlabel": "人口比例",
    "chart.curve.caption": (
        "在横轴所示分钟内可到达任一{service}机构的人口比例，每种出行方式一条线；虚线为时间阈值。"
    ),
    "chart.curve.xlabel": "到最近机构的时间（分钟）",
    "chart.curve.ylabel": "人口比例",
    "chart.no_data": "没有已知人口可供显示。",
    # unit levels as headings
    "heading.units.province": "各省覆盖情况",
    "heading.units.city": "各市覆盖情况",
    "heading.units.county": "各县覆盖情况",
    "heading.units.township": "各乡镇覆盖情况",
    "heading.units.region": "全区域覆盖情况",
    # tables
    "table.coverage_region": "全区域覆盖情况",
    "table.coverage_region.caption": (
        "各时间阈值内可到达各层级最近机构的人口比例；“{any}”指该服务任一层级的最近机构。"
    ),
    "table.coverage_units.caption": "{service}，任一机构，{profile}。",
    "table.gaps": "主要覆盖盲区",
    "table.gaps.caption": (
        "{circle}（{profile}）内无法到达任一{service}机构的居民点，按超出的人·分钟排序；"
        "共 {total} 个，列出前 {n} 个。"
    ),
    "table.gaps.none": "所有居民点都在{service}机构的{circle}内。",
    "table.completeness": "三级医疗卫生网络完整性",
    "table.completeness.no_units": "该区域没有行政单元，因此不评估三级网络的完整性。",
    "table.completeness.all_ok": "所有单元均有应有的机构（共检查 {n} 个单元）。",
    "table.completeness.summary": "{total} 个单元中有 {missing} 个缺少应有的机构。",
    "table.more": "……另有 {n} 个。",
    "table.referral": "超时的转诊链",
    "table.referral.caption": (
        "居民点 → 最近的乡镇卫生院 → 县医院，时限 {limit} 分钟；下表为{profile}，"
        "按人口从多到少排列（共 {total} 个，列出前 {n} 个）。"
    ),
    "table.referral.none": "没有超过 {limit} 分钟的转诊链。",
    "table.time_stats": "出行时间统计",
    "table.time_stats.caption": "全区域按人口加权的到最近机构的分钟数；平均值只计能够到达的人口。",
    # column headers
    "col.service": "服务类型",
    "col.tier": "层级",
    "col.count": "数量",
    "col.profile": "出行方式",
    "col.population": "人口",
    "col.settlement": "居民点",
    "col.admin_unit": "所属行政单元",
    "col.code": "代码",
    "col.name": "名称",
    "col.level": "级别",
    "col.required_tier": "应有机构",
    "col.minutes": "分钟",
    "col.minutes_beyond": "超出分钟",
    "col.people_minutes": "人·分钟",
    "col.first_stop": "首诊机构",
    "col.to_first": "到达用时（分钟）",
    "col.second_stop": "转诊医院",
    "col.first_to_second": "转诊用时（分钟）",
    "col.chain": "全程用时（分钟）",
    "col.settlements_over": "超时居民点",
    "col.people_over": "超时人口",
    "col.share_over": "人口比例",
    "col.mean": "平均值（分钟）",
    "col.median": "中位数（分钟）",
    "col.p90": "90%分位数（分钟）",
    "col.unreachable": "无法到达的人口",
    "col.item": "项目",
    "col.value": "内容",
    # values
    "value.unreachable": "无法到达",
    "value.unknown": "未知",
    "value.none": "无",
    "list.separator": "、",
    "summary.level_count": "{level}：{n}",
    "method.source_count": "{source}（{n}）",
    # method
    "method.times": (
        "出行时间为每个居民点沿路网到各层级最近机构的最短路径时间，按以下出行方式分别计算：{profiles}。"
        "第一种方式（{main}）用于地图和各单元图表。"
    ),
    "method.walk": (
        "步行速度按托布勒（Tobler）徒步函数随每段道路的坡度变化，坡度取自高程模型，上坡与下坡用时不同。"
        "从居民点走到最近道路按路外步行计，速度为路上的五分之三。"
    ),
    "method.vehicle": (
        "机动车在坡度 3% 以内保持道路等级的车速，坡度更大或路面更差时减速；不使用其类型禁行的道路。"
    ),
    "method.thresholds": (
        "时间阈值：{thresholds} 分钟。居民点在阈值内到达该层级（或该服务任一层级）最近的机构，"
        "即视为被覆盖。"
    ),
    "method.population": (
        "人口来源：{sources}。{unknown} 个居民点人口未知，在所有比例中按 0 人计。"
    ),
    "method.referral": (
        "转诊链从居民点到最近的乡镇卫生院，再到离该卫生院最近的县医院；全程应不超过 {limit} 分钟。"
    ),
    "method.clinic_rule": (
        "没有村卫生室的行政村，若其所有居民点都能在 {minutes} 分钟内到达村卫生室，仍视为完整。"
    ),
    # data names: services, tiers, profiles, levels, population sources
    "service.health": "医疗卫生",
    "service.school": "教育",
    "service_in_text.health": "医疗卫生",
    "service_in_text.school": "教育",
    "tier.village_clinic": "村卫生室",
    "tier.township_health_center": "乡镇卫生院",
    "tier.county_hospital": "县医院",
    "tier.mobile_clinic": "流动医疗车",
    "tier.teaching_point": "教学点",
    "tier.primary": "小学",
    "tier.middle": "初中",
    "tier.any": "任一机构",
    "profile.walk": "步行",
    "profile.motorcycle": "摩托车",
    "profile.car": "汽车",
    "profile.mobile_clinic": "流动医疗车",
    "level.region": "全区域",
    "level.province": "省",
    "level.city": "市",
    "level.county": "县",
    "level.township": "乡镇",
    "level.village": "行政村",
    "source.": "未知",
    "source.osm": "OpenStreetMap",
    "source.synthetic": "合成数据",
    "source.table": "人口统计表",
    "source.raster": "人口栅格",
    "source.settlements file": "居民点文件",
    f"source.{ESTIMATE_SOURCE}": "估算（按居民点类型分摊总人口）",
    # runs of several steps
    "report.title_run": "{name}规划报告",
    # speeds of the profiles
    "col.road_class": "道路等级",
    "table.speeds.caption": (
        "出行方式在平坦铺装路面上各道路等级的速度（公里/小时）；步行速度再按托布勒函数随坡度变化。"
    ),
    # site plans
    "site.title": "{region}新增{tier}选址",
    "section.plan_map": "规划方案地图",
    "site.card.added": "新增{tier}",
    "site.card.existing": "现有{n}个之外",
    "site.card.before": "规划前为{share}",
    "site.card.optimal": "最优",
    "site.card.solver": "{model}的解",
    "site.card.runtime": "求解用时{seconds}秒",
    "site.map.caption": (
        "居民点按人口大小绘制：蓝色表示规划前已在{minutes}分钟内到达{tier}"
        "，绿色表示仅因新增选址而到达，红色表示仍在范围之外；星形为方案选址，新增者标注名"
        "称。"
    ),
    "site.map.caption_minutes": (
        "居民点按规划后到最近{tier}的分钟数着色、按人口大小绘制；星形为方案选址，新增者标注名称。"
    ),
    "site.status.existing": "现有",
    "site.status.new": "新增",
    "site.table.sites": "方案中的{tier}及各自服务的居民点数。",
    "site.table.closer": "因规划而离服务点更近的居民点，按人口从多到少（共{total}个中的前{n}个）。",
    "site.table.none": "规划未使任何居民点离服务点更近。",
    "site.method.model": (
        "选址采用{model}，以{profile}方式在路网上的出行时间为依据，选址对象为{tier}；"
        "现有{tier}保持开放。"
    ),
    "site.method.pool": "新增选址从该服务的较低等级机构中选取，这些机构可升级为该等级。",
    "site.method.threshold": "覆盖标准：{minutes}分钟。",
    "site.method.max": "任何居民点都不分配给{minutes}分钟以外的服务点。",
    "site.method.optimal": "求解器已证明该方案最优。",
    "site.method.gap": "求解器在证明最优之前停止：方案与最优解的差距不超过{gap}（界为{bound}）。",
    "model.pmedian": "P-中位模型（总出行时间最小）",
    "model.pcenter": "P-中心模型（最长出行时间最小）",
    "model.maxcover": "最大覆盖模型（标准内覆盖人口最多）",
    "model.setcover": "集合覆盖模型（以最少选址覆盖全部）",
    "model.cpmedian": "有容量限制的P-中位模型",
    "model.cmaxcover": "有容量限制的最大覆盖模型",
    "col.status": "状态",
    "col.settlements_served": "服务居民点数",
    "col.minutes_before": "规划前（分钟）",
    "col.minutes_after": "规划后（分钟）",
    # raster accessibility
    "surface.title": "栅格可达性分析（AccessMod 方法）",
    "section.travel_time_map": "出行时间图",
    "surface.map.caption": (
        "逐栅格显示{direction}最近机构的分钟数；空白栅格超出最大时间或无法通行；轮廓线"
        "为各机构的服务范围。"
    ),
    "surface.direction.towards": "前往",
    "surface.direction.from": "自",
    "surface.card.reached": "{minutes}分钟内的栅格",
    "surface.card.cells": "{n}个栅格",
    "surface.card.used": "参与计算的机构",
    "surface.card.flagged": "{n}个被标记（不在栅格内、位于障碍上或不可通行）",
    "surface.card.covered": "容量范围内覆盖",
    "surface.table.facilities": "各机构所在栅格及其能否作为搜索起点。",
    "surface.table.no_population": "未提供人口栅格，因此不计算容量覆盖和分区统计。",
    "surface.table.capacity": "容量限制下的覆盖，机构按处理顺序排列（按{order}从大到小）。",
    "surface.table.zonal": "各分区的人口、容量范围内覆盖的人口，以及各时间阈值内的人口。",
    "surface.table.scenario": "情景表：各类别的速度（平地，公里/小时）与出行方式。",
    "surface.total": "合计",
    "surface.order.population": "最大时间内的人口",
    "surface.order.capacity": "容量",
    "surface.order.field": "机构字段",
    "surface.status.ok": "已使用",
    "surface.status.outside_dem": "位于高程栅格之外",
    "surface.status.on_barrier": "位于障碍上",
    "surface.status.impassable": "位于不可通行栅格",
    "surface.method.merge": (
        "土地覆盖、道路和障碍在高程栅格上合并为每个栅格一个类别；情景表为每个类别给出"
        "速度和出行方式。"
    ),
    "surface.method.anisotropic": (
        "各向异性：步行速度按托布勒函数随栅格间坡度变化，骑行在坡上保持功率，机动车不受坡度影响。"
    ),
    "surface.method.isotropic": "各向同性：每个栅格均按平地速度通过。",
    "surface.method.search": (
        "出行时间为{direction}最近机构的最短累计时间，搜索范围为{moves}，最长{minutes}分钟。"
    ),
    "surface.moves.8": "每个栅格的8个相邻栅格",
    "surface.moves.16": "每个栅格的16个相邻栅格（含马步移动）",
    "surface.method.capacity": (
        "容量覆盖依次处理各机构，在尚未覆盖的人口上逐分钟扩大其服务范围，直到达到容量"
        "或最大时间，与 AccessMod 的地理覆盖分析相同。"
    ),
    "legend.travel_time": "出行时间",
    "legend.facility_used": "已使用",
    "legend.facility_flagged": "被标记",
    "col.facility": "机构",
    "col.cell": "栅格（行，列）",
    "col.rank": "顺序",
    "col.capacity": "容量",
    "col.covered": "覆盖人口",
    "col.catchment_minutes": "服务范围（分钟）",
    "col.limit_reached": "达到时间上限",
    "col.zone": "分区",
    "col.class": "类别",
    "col.label": "名称",
    "col.speed": "速度（公里/小时）",
    "col.mode": "方式",
    "mode.WALKING": "步行",
    "mode.BICYCLING": "骑行",
    "mode.MOTORIZED": "机动车",
    "value.yes": "是",
    "value.no": "否",
    "value.unlimited": "不限",
    "highway.motorway": "高速公路",
    "highway.motorway_link": "高速公路匝道",
    "highway.trunk": "干线公路",
    "highway.trunk_link": "干线匝道",
    "highway.primary": "主要道路",
    "highway.primary_link": "主要道路匝道",
    "highway.secondary": "次要道路",
    "highway.secondary_link": "次要道路匝道",
    "highway.tertiary": "三级道路",
    "highway.tertiary_link": "三级道路匝道",
    "highway.unclassified": "乡村道路",
    "highway.residential": "居住区道路",
    "highway.living_street": "生活街道",
    "highway.service": "服务道路",
    "highway.road": "道路（等级未知）",
    "highway.track": "机耕道",
    "highway.path": "小路",
    "highway.footway": "人行道",
    "highway.pedestrian": "步行街",
    "highway.steps": "台阶",
    "highway.bridleway": "马道",
    "highway.cycleway": "自行车道",
}

#: Catalogue per language code.
CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "zh_CN": ZH_CN}
#: Other spellings accepted by :func:`translator`.
ALIASES: dict[str, str] = {"zh": "zh_CN"}
#: Value of ``<html lang>`` per language.
HTML_LANG: dict[str, str] = {"en": "en", "zh_CN": "zh-CN"}
#: Thousands separator and decimal mark per language.
SEPARATORS: dict[str, tuple[str, str]] = {"en": (",", "."), "zh_CN": (",", ".")}
#: Shown for a number that is not known (NaN).
MISSING = "—"


@dataclass(frozen=True)
class Translator:
    """Labels, data names and numbers of one language.

    Parameters
    ----------
    lang
        Language code: ``"en"`` or ``"zh_CN"``.
    messages
        The language's catalogue.
    """

    lang: str
    messages: Mapping[str, str]

    def __call__(self, key: str, /, **fields: object) -> str:
        """The label ``key`` with ``{fields}`` filled in; :class:`KeyError` if not catalogued."""
        try:
            text = self.messages[key]
        except KeyError:
            msg = (
                f"no {self.lang} label {key!r}; add it to every catalogue in accessplan.report.i18n"
            )
            raise KeyError(msg) from None
        return text.format(**fields) if fields else text

    @property
    def html_lang(self) -> str:
        """The language as a BCP 47 tag for ``<html lang>``."""
        return HTML_LANG[self.lang]

    def name(self, kind: str, value: str) -> str:
        """Translated name of a data value, or the value itself when the catalogue lacks it.

        ``kind`` is ``tier``, ``service`` (``service_in_text`` inside a sentence),
        ``profile``, ``level`` or ``source``.
        """
        return self.messages.get(f"{kind}.{value}", value)

    def number(self, value: float, decimals: int = 0) -> str:
        """``value`` with thousands separators; "unreachable" for infinity, a dash for NaN."""
        value = float(value)
        if math.isnan(value):
            return MISSING
        if math.isinf(value):
            return self("value.unreachable")
        group, point = SEPARATORS[self.lang]
        return f"{value:,.{decimals}f}".translate(str.maketrans(",.", group + point))

    def percent(self, share: float) -> str:
        """A share (0..1) as a percentage with one decimal."""
        if math.isnan(float(share)):
            return MISSING
        return f"{self.number(100.0 * float(share), 1)}%"

    def threshold(self, minutes: float) -> str:
        """A threshold in minutes: whole numbers without decimals (15.0 -> "15", 7.5 -> "7.5")."""
        minutes = float(minutes)
        return self.number(minutes, 0 if minutes.is_integer() else 1)


def translator(lang: str = "en") -> Translator:
    """The translator of ``lang``: ``"en"``, ``"zh"`` or ``"zh_CN"`` (also ``"zh-CN"``).

    Raises
    ------
    InputError
        For any other language.
    """
    code = str(lang).replace("-", "_")
    code = ALIASES.get(code, code)
    if code not in CATALOGUES:
        choices = sorted({*CATALOGUES, *ALIASES})
        msg = f"unknown report language {lang!r}; choose one of {choices}."
        raise InputError(msg)
    return Translator(code, CATALOGUES[code])
