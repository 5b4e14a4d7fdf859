package gen

import (
	"math"
	"math/rand/v2"
)

// mix is splitmix64: a stateless hash used to derive stable identifiers
// (ids, uuids) from the seed and a counter, independently of how much
// randomness the simulation draws.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// rng wraps the simulation's random source.
type rng struct{ r *rand.Rand }

func newRNG(seed uint64) rng {
	return rng{rand.New(rand.NewPCG(seed, mix(seed^0x6a6d6c7761746368)))}
}

func (g rng) float() float64           { return g.r.Float64() }
func (g rng) intn(n int) int           { return g.r.IntN(n) }
func (g rng) chance(p float64) bool    { return g.r.Float64() < p }
func (g rng) between(a, b int64) int64 { return a + g.r.Int64N(b-a+1) }

// lognormal returns a log-normal duration in ms with the given median (ms)
// and shape sigma: most values near the median, a long tail.
func (g rng) lognormal(medianMS float64, sigma float64) int64 {
	return int64(medianMS * math.Exp(sigma*g.r.NormFloat64()))
}

// poisson returns a Poisson-distributed count with mean lambda (Knuth for
// small means, a rounded normal approximation for large ones).
func (g rng) poisson(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 50 {
		n := int(math.Round(lambda + math.Sqrt(lambda)*g.r.NormFloat64()))
		return max(n, 0)
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= g.r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
