package incluster

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

func TestParseShard(t *testing.T) {
	s, err := ParseShard("2/5")
	require.NoError(t, err)
	assert.Equal(t, Shard{Index: 2, Count: 5}, s)
	assert.Equal(t, "2/5", s.String())
	for _, bad := range []string{"", "2", "5/5", "-1/5", "0/0", "a/b", "1/1001"} {
		_, err := ParseShard(bad)
		assert.Error(t, err, bad)
	}
}

// TestShardOfStable: the assignment is FNV-1a of the identity, fixed by
// its definition: these values must never change, or a resumed run (and
// the CLI following the pods) would look for a cluster in the wrong shard.
func TestShardOfStable(t *testing.T) {
	assert.Equal(t, 3, ShardOf(Identity{targets.RoleWorkload, "fleet", "prod-1"}, 5))
	assert.Equal(t, 0, ShardOf(Identity{targets.RoleWorkload, "fleet", "prod-1"}, 1))
	assert.Equal(t, ShardOf(Identity{Role: targets.RoleWorkload, Namespace: "a", Name: "b"}, 7),
		ShardOf(Identity{Role: targets.RoleWorkload, Namespace: "a", Name: "b"}, 7))
}

// TestKeepPartitions: over all shards, every target and skipped cluster of
// a plan is kept by exactly one, and 50 clusters spread over 5 shards.
func TestKeepPartitions(t *testing.T) {
	plan := &targets.Plan{Notes: []string{"n"}}
	plan.Targets = append(plan.Targets, &targets.Target{Role: targets.RoleCurrent, Name: "mgmt"})
	for i := range 50 {
		plan.Targets = append(plan.Targets, &targets.Target{Role: targets.RoleWorkload, Namespace: "fleet", Name: fmt.Sprintf("c%02d", i)})
	}
	plan.Skipped = []targets.Skipped{{Role: targets.RoleWorkload, Namespace: "fleet", Name: "provisioning"}}
	seen := map[string]int{}
	skipped := 0
	for i := range 5 {
		part := Shard{Index: i, Count: 5}.Keep(plan)
		assert.NotEmpty(t, part.Targets, "shard %d has clusters", i)
		assert.Equal(t, plan.Notes, part.Notes)
		for _, tg := range part.Targets {
			seen[tg.ID()]++
		}
		skipped += len(part.Skipped)
	}
	assert.Len(t, seen, 51)
	for id, n := range seen {
		assert.Equal(t, 1, n, id)
	}
	assert.Equal(t, 1, skipped)
}
