"""Latency percentiles and failure causes, for both sides of the load bench."""


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0..1) of `values`."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def latency(values: list[float]) -> dict:
    """p50, p95, p99 and max of millisecond latencies, rounded."""
    values = values or [0.0]
    return {
        "p50_ms": round(percentile(values, 0.50), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "p99_ms": round(percentile(values, 0.99), 1),
        "max_ms": round(max(values), 1),
    }


def broken(error: Exception) -> str:
    """An exception's class and its innermost cause's: "ConnectionError (…)"."""
    inner = error
    while True:
        found = [a for a in inner.args if isinstance(a, BaseException)]
        found += [getattr(inner, "reason", None), inner.__cause__]
        found = [f for f in found if isinstance(f, BaseException) and f is not inner]
        if not found:
            break
        inner = found[0]
    if inner is error:
        return type(error).__name__
    return f"{type(error).__name__} ({type(inner).__name__})"
