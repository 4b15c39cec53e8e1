package authz

import (
	"crypto/subtle"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
)

// keyring checks REST API keys and counts their usage plans' throttle and
// quota. A key comes from an AWS::ApiGateway::ApiKey with a Value, or
// from serve --api-key; a template key is accepted on the stages of its
// usage plans (or its StageKeys), as in AWS; a --api-key key is accepted
// on every REST API and belongs to the usage plans SAM generated keys for
// (Auth.UsagePlan), or to every plan of the stage when the template's own
// keys cannot be known.
type keyring struct {
	keys  []*apiKey
	plans []*plan
	mu    sync.Mutex
}

type apiKey struct {
	id, name, value string
	enabled         bool
	flag            bool // from --api-key
	stages          []config.APIStage
	plans           []*plan
}

type plan struct {
	cfg   *config.UsagePlan
	usage map[*apiKey]*usage
}

type usage struct {
	tokens   float64
	last     time.Time
	window   time.Time // start of the quota period counted
	requests int
}

// FlagKeyID names the keys given with serve --api-key.
const FlagKeyID = "--api-key"

func newKeyring(p *config.Project, flagKeys []string) *keyring {
	kr := &keyring{}
	byID := map[string]*apiKey{}
	for _, k := range p.APIKeys {
		if k.Value == "" {
			continue // AWS generates it; --api-key stands in
		}
		ak := &apiKey{id: k.ID, name: k.Name, value: k.Value, enabled: k.Enabled, stages: k.Stages}
		byID[k.ID] = ak
		kr.keys = append(kr.keys, ak)
	}
	for _, v := range flagKeys {
		kr.keys = append(kr.keys, &apiKey{id: FlagKeyID, name: FlagKeyID, value: v, enabled: true, flag: true})
	}
	for _, up := range p.UsagePlans {
		pl := &plan{cfg: up, usage: map[*apiKey]*usage{}}
		kr.plans = append(kr.plans, pl)
		for _, id := range up.Keys {
			if ak := byID[id]; ak != nil {
				ak.plans = append(ak.plans, pl)
			}
		}
	}
	return kr
}

// covers reports whether a plan applies to an API's stage.
func (pl *plan) covers(api *config.API) bool {
	for _, st := range pl.cfg.Stages {
		if st.API == api.ID && (st.Stage == "" || st.Stage == api.Stage) {
			return true
		}
	}
	return false
}

// lookup finds a key by value, in constant time per key.
func (kr *keyring) lookup(value string) *apiKey {
	var found *apiKey
	for _, k := range kr.keys {
		if subtle.ConstantTimeCompare([]byte(k.value), []byte(value)) == 1 && found == nil {
			found = k
		}
	}
	return found
}

// keyPlans are the plans of api's stage that count k's requests.
func (kr *keyring) keyPlans(k *apiKey, api *config.API) []*plan {
	var out []*plan
	if k.flag {
		var generated, any []*plan
		for _, pl := range kr.plans {
			if !pl.covers(api) {
				continue
			}
			any = append(any, pl)
			if pl.cfg.FlagKeys {
				generated = append(generated, pl)
			}
		}
		if len(generated) > 0 {
			return generated
		}
		return any
	}
	for _, pl := range k.plans {
		if pl.covers(api) {
			out = append(out, pl)
		}
	}
	return out
}

// check decides an API key for a REST route that requires one: the key
// (from x-api-key, or from the authorizer's usageIdentifierKey when the
// API's key source is AUTHORIZER), its plans' throttle and quota. It
// returns the key's value and id for the event, or the refusal.
func (kr *keyring) check(m *apigw.Match, req *apigw.Request, fromAuthorizer string, now time.Time) (value, id string, refused *apigw.Response) {
	api := m.API
	value = req.Header.Get("X-Api-Key")
	source := "the x-api-key header"
	if api.APIKeySource == "AUTHORIZER" {
		value, source = fromAuthorizer, "the authorizer's usageIdentifierKey (the API's key source is AUTHORIZER)"
	}
	if value == "" {
		why := fmt.Sprintf("Route %s of API %s requires an API key and the request sent none in %s: send one of the template's AWS::ApiGateway::ApiKey values, or start gatescope with --api-key VALUE", m.Route.Key(), api.ID, source)
		return "", "", apigw.APIKeyRefused(m, req, why)
	}
	k := kr.lookup(value)
	switch {
	case k == nil:
		return "", "", apigw.APIKeyRefused(m, req, fmt.Sprintf("%s is not an API key gatescope knows (%s): keys are the Value of an AWS::ApiGateway::ApiKey, or given with --api-key", source, mask(value)))
	case !k.enabled:
		return "", "", apigw.APIKeyRefused(m, req, fmt.Sprintf("API key %s is not enabled: set Enabled: true on it (CloudFormation's default is false)", k.id))
	}
	plans := kr.keyPlans(k, api)
	if !k.flag && len(plans) == 0 && !onStage(k.stages, api) {
		return "", "", apigw.APIKeyRefused(m, req, fmt.Sprintf("API key %s is in no usage plan of API %s stage %s, so API Gateway refuses it there: add an AWS::ApiGateway::UsagePlanKey for a plan whose ApiStages include it", k.id, api.ID, api.Stage))
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	for _, pl := range plans {
		u := pl.usage[k]
		if u == nil {
			u = &usage{last: now}
			if t := pl.cfg.Throttle; t != nil {
				u.tokens = float64(max(t.BurstLimit, 1))
			}
			pl.usage[k] = u
		}
		if why := u.take(pl.cfg, now); why != "" {
			quota := strings.HasPrefix(why, "quota")
			return "", "", apigw.Throttled(m, req, quota, fmt.Sprintf("API key %s is over usage plan %s's %s", k.id, planName(pl.cfg), why))
		}
	}
	return value, apigw.APIID("apikey " + k.id + " " + k.value), nil
}

func onStage(stages []config.APIStage, api *config.API) bool {
	for _, st := range stages {
		if st.API == api.ID && (st.Stage == "" || st.Stage == api.Stage) {
			return true
		}
	}
	return false
}

// take counts one request: a token from the plan's bucket (refilled at
// RateLimit per second up to BurstLimit) and one from its quota period.
func (u *usage) take(p *config.UsagePlan, now time.Time) string {
	if t := p.Throttle; t != nil && t.RateLimit > 0 {
		burst := float64(max(t.BurstLimit, 1))
		u.tokens = math.Min(burst, u.tokens+now.Sub(u.last).Seconds()*t.RateLimit)
		u.last = now
		if u.tokens < 1 {
			return fmt.Sprintf("throttle (%g requests per second, burst %d): slow down, or raise the plan's Throttle", t.RateLimit, t.BurstLimit)
		}
	}
	if q := p.Quota; q != nil {
		start := periodStart(q, now)
		if !start.Equal(u.window) {
			u.window, u.requests = start, 0
		}
		if u.requests >= q.Limit {
			return fmt.Sprintf("quota of %d requests per %s, which starts again %s", q.Limit, strings.ToLower(q.Period), nextPeriod(q, start).UTC().Format(time.RFC3339))
		}
		u.requests++
	}
	if t := p.Throttle; t != nil && t.RateLimit > 0 {
		u.tokens--
	}
	return ""
}

// periodStart is the start of the quota period now falls in (UTC; weeks
// start on Monday, as API Gateway's do), shifted by Offset days (hours
// for DAY).
func periodStart(q *config.Quota, now time.Time) time.Time {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch q.Period {
	case "WEEK":
		wd := (int(day.Weekday()) + 6) % 7
		s := day.AddDate(0, 0, -wd+q.Offset)
		if s.After(now) {
			s = s.AddDate(0, 0, -7)
		}
		return s
	case "MONTH":
		s := time.Date(now.Year(), now.Month(), 1+q.Offset, 0, 0, 0, 0, time.UTC)
		if s.After(now) {
			s = s.AddDate(0, -1, 0)
		}
		return s
	}
	s := day.Add(time.Duration(q.Offset) * time.Hour)
	if s.After(now) {
		s = s.AddDate(0, 0, -1)
	}
	return s
}

func nextPeriod(q *config.Quota, start time.Time) time.Time {
	switch q.Period {
	case "WEEK":
		return start.AddDate(0, 0, 7)
	case "MONTH":
		return start.AddDate(0, 1, 0)
	}
	return start.AddDate(0, 0, 1)
}

func planName(p *config.UsagePlan) string {
	if p.Name != "" {
		return p.Name + " (" + p.ID + ")"
	}
	return p.ID
}

// mask shows a secret's first characters only.
func mask(v string) string {
	if len(v) <= 4 {
		return "****"
	}
	return v[:4] + "…"
}
