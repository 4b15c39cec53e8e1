//go:build race

package replay

// raceEnabled: the race detector drops sync.Pool items at random, so
// regexp's pooled matchers are allocated anew and allocation counts mean
// little.
const raceEnabled = true
