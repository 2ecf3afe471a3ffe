"""One report section per analysis: ``section(result, tr) -> Section``."""
