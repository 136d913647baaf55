-- Statistics over repeated runs: best, median, min/max, spread and outliers.
--
-- spread is the median absolute deviation (MAD) as a percentage of the median: robust against
-- the one slow run a noisy machine produces. With at least 5 runs, an outlier is a run further
-- than 3 scaled MADs (3 x 1.4826 x MAD, about 3 standard deviations for normal noise) and more
-- than 5 % from the median: a tight cluster does not make every small wobble an outlier.
local sort, abs, huge = table.sort, math.abs, math.huge

local stats = {}

local function sorted(xs)
  local c = {}
  for i = 1, #xs do c[i] = xs[i] end
  sort(c)
  return c
end

function stats.median(xs)
  local n = #xs
  if n == 0 then return nil end
  local c = sorted(xs)
  if n % 2 == 1 then return c[(n + 1) / 2] end
  return (c[n / 2] + c[n / 2 + 1]) / 2
end

-- Summary of a list of numbers: { n, best (= min), median, min, max, mad, spread_pct, outliers }
-- where outliers lists the indices (into xs) of outlying runs.
function stats.summary(xs)
  local n = #xs
  if n == 0 then return { n = 0, outliers = {} } end
  local lo, hi = huge, -huge
  for i = 1, n do
    if xs[i] < lo then lo = xs[i] end
    if xs[i] > hi then hi = xs[i] end
  end
  local med = stats.median(xs)
  local dev = {}
  for i = 1, n do dev[i] = abs(xs[i] - med) end
  local mad = stats.median(dev)
  local out = {}
  local limit = math.max(3 * 1.4826 * mad, 0.05 * abs(med))
  if n >= 5 then
    for i = 1, n do
      if dev[i] > limit then out[#out + 1] = i end
    end
  end
  return {
    n = n, best = lo, median = med, min = lo, max = hi, mad = mad,
    spread_pct = med ~= 0 and 100 * mad / abs(med) or 0, outliers = out,
  }
end

-- Ratio of two medians with a spread: for interleaved A/B samples, the median of the per-pair
-- ratios a[i]/b[i] and its MAD in percent.
function stats.ratio(a, b)
  local r = {}
  for i = 1, math.min(#a, #b) do
    if b[i] ~= 0 then r[#r + 1] = a[i] / b[i] end
  end
  local s = stats.summary(r)
  return s.median, s.spread_pct
end

return stats
