package share

// Helpers for the external test package (share_test), which serves the
// whole UI address and so cannot live inside package share.
var (
	OpenStore     = openStore
	Seed          = seed
	Stored        = stored
	SameExchanges = sameExchanges
	ValidateHAR   = validateHAR
)

// HostileExchange holds text that would break a share file out of its
// elements, everywhere an exchange carries text.
var HostileExchange = hostileExchange
