package incluster

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// MaxShards bounds the shards of one run: a Job's completions are capped by
// the API server at 100000, and far fewer pods than that already saturate
// any management cluster.
const MaxShards = 1000

// Shard is the Index-th (from 0) of Count parts of a fleet.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// ParseShard reads "INDEX/COUNT", e.g. "2/5".
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want INDEX/COUNT, like 0/5", s)
	}
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want INDEX/COUNT, like 0/5", s)
	}
	sh := Shard{Index: index, Count: count}
	return sh, sh.Validate()
}

// Validate checks 0 <= Index < Count <= MaxShards.
func (s Shard) Validate() error {
	if s.Count < 1 || s.Count > MaxShards {
		return fmt.Errorf("shard %s: the count must be between 1 and %d", s, MaxShards)
	}
	if s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard %s: the index must be between 0 and %d", s, s.Count-1)
	}
	return nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Identity is what a cluster is sharded by: its role, and its namespace
// and name. It does not depend on where the cluster is reached from, so a
// pod and the CLI following it put a cluster in the same shard.
type Identity struct {
	Role      targets.Role
	Namespace string
	Name      string
}

// key is the hashed text: workload clusters by "namespace/name" (a Cluster
// object's identity), the others by "role/name".
func (id Identity) key() string {
	if id.Role == targets.RoleWorkload {
		return id.Namespace + "/" + id.Name
	}
	return string(id.Role) + "/" + id.Name
}

// ShardOf is the index of the shard, of count, that id belongs to: FNV-1a
// (64 bits) of its key, modulo count. FNV is fixed by its definition, so
// the assignment is the same for every build, machine and run; it spreads
// names that differ in one character well enough for a fleet.
func ShardOf(id Identity, count int) int {
	if count <= 1 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(id.key()))
	return int(h.Sum64() % uint64(count))
}

// Owns reports whether id belongs to this shard.
func (s Shard) Owns(id Identity) bool { return ShardOf(id, s.Count) == s.Index }

// Keep returns the part of plan this shard collects: its targets and its
// skipped clusters (so each skipped row, too, appears once when the shards
// are merged). The notes are kept whole; Merge says each once.
func (s Shard) Keep(plan *targets.Plan) *targets.Plan {
	out := &targets.Plan{Notes: plan.Notes}
	for _, t := range plan.Targets {
		if s.Owns(Identity{t.Role, t.Namespace, t.Name}) {
			out.Targets = append(out.Targets, t)
		}
	}
	for _, sk := range plan.Skipped {
		if s.Owns(Identity{sk.Role, sk.Namespace, sk.Name}) {
			out.Skipped = append(out.Skipped, sk)
		}
	}
	for _, d := range plan.Duplicates {
		if s.Owns(Identity{d.Dropped.Role, d.Dropped.Namespace, d.Dropped.Name}) {
			out.Duplicates = append(out.Duplicates, d)
		}
	}
	return out
}
