package lambda

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
)

// envMarker is the variable every function process is started with, set to
// its environment's id ("<instance>-<n>"). Children inherit it, so it finds
// what an environment spawned even after it left the process group
// (setsid, a double fork), and it proves a process is gatescope's before
// one is killed: no unrelated process carries a random instance id.
const envMarker = "GATESCOPE_ENV"

// envIDs makes environment ids: this Manager's random instance id and a
// sequence number.
type envIDs struct {
	instance string
	seq      atomic.Uint64
}

func newEnvIDs() *envIDs {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on broken systems)
	return &envIDs{instance: hex.EncodeToString(b[:])}
}

func (ids *envIDs) next() string {
	return ids.instance + "-" + strconv.FormatUint(ids.seq.Add(1), 10)
}
