package runtime

import (
	"encoding/json"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/segmentio/kafka-go"
)

// soleOwnerBalancer is a kafka-go GroupBalancer that gives every partition
// of every topic to exactly one member; the others get nothing and idle.
// The correlator needs every partition in one place (a case's trigger and
// completions arrive on different topics), and state lives in one local
// store, so the owner is the member most likely to hold that state: a
// member whose store has offsets first, then the one that started first,
// then the lowest member id.
type soleOwnerBalancer struct {
	hasState *atomic.Bool
	started  int64 // Unix nanoseconds
}

// ownerUserData is what a member tells the group leader about itself.
type ownerUserData struct {
	HasState bool  `json:"has_state"`
	Started  int64 `json:"started"`
}

// ProtocolName implements kafka.GroupBalancer.
func (b *soleOwnerBalancer) ProtocolName() string { return "jmlwatch-sole-owner" }

// UserData implements kafka.GroupBalancer.
func (b *soleOwnerBalancer) UserData() ([]byte, error) {
	return json.Marshal(ownerUserData{HasState: b.hasState.Load(), Started: b.started})
}

// AssignGroups implements kafka.GroupBalancer.
func (b *soleOwnerBalancer) AssignGroups(members []kafka.GroupMember, partitions []kafka.Partition) kafka.GroupMemberAssignments {
	out := kafka.GroupMemberAssignments{}
	if len(members) == 0 {
		return out
	}
	type cand struct {
		id string
		ud ownerUserData
	}
	cs := make([]cand, len(members))
	for i, m := range members {
		cs[i].id = m.ID
		_ = json.Unmarshal(m.UserData, &cs[i].ud) // unreadable: treated as no state, started 0
		out[m.ID] = map[string][]int{}
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.ud.HasState != b.ud.HasState {
			return a.ud.HasState
		}
		if a.ud.Started != b.ud.Started {
			return a.ud.Started < b.ud.Started
		}
		return a.id < b.id
	})
	owner := cs[0].id
	var topics []string
	for _, m := range members {
		if m.ID == owner {
			topics = m.Topics
		}
	}
	for _, p := range partitions {
		if slices.Contains(topics, p.Topic) {
			out[owner][p.Topic] = append(out[owner][p.Topic], p.ID)
		}
	}
	for _, ps := range out[owner] {
		slices.Sort(ps)
	}
	return out
}
