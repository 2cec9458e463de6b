def weighted_mean(values, weights):
    return round(sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights), 6)
