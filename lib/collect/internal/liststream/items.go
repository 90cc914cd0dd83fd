package liststream

import (
	"encoding/json"
	"fmt"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/jsonscan"
)

// ItemNamespace returns metadata.namespace of one item of a list ("" for a
// cluster-scoped object). It reads the item only up to its namespace, which
// the API server writes near the start.
func ItemNamespace(item json.RawMessage) (string, error) {
	ns, _, err := ItemNames(item, true)
	return ns, err
}

// ItemNames returns metadata.namespace and metadata.name of one item of a
// list; with nsOnly it stops at the namespace.
func ItemNames(item json.RawMessage, nsOnly bool) (namespace, name string, err error) {
	_, err = jsonscan.EachMember(item, jsonscan.SkipSpace(item, 0), func(key []byte, vs, ve int) (bool, error) {
		if !jsonscan.KeyIs(key, "metadata") {
			return false, nil
		}
		var err error
		namespace, name, err = MetaNames(item[vs:ve], nsOnly)
		return true, err
	})
	if err != nil {
		return "", "", fmt.Errorf("decode item metadata: %w", err)
	}
	return namespace, name, nil
}

// MetaNames returns namespace and name of an object's metadata. With
// nsOnly it stops at the namespace.
func MetaNames(meta []byte, nsOnly bool) (namespace, name string, err error) {
	if string(meta) == "null" {
		return "", "", nil
	}
	var haveNS, haveName bool
	_, err = jsonscan.EachMember(meta, jsonscan.SkipSpace(meta, 0), func(key []byte, vs, ve int) (bool, error) {
		var err error
		switch {
		case jsonscan.KeyIs(key, "namespace"):
			namespace, err = jsonscan.StringValue(meta[vs:ve])
			haveNS = true
		case jsonscan.KeyIs(key, "name"):
			name, err = jsonscan.StringValue(meta[vs:ve])
			haveName = true
		}
		return haveNS && (nsOnly || haveName), err
	})
	return namespace, name, err
}
