package collect

import (
	"encoding/json"
	"fmt"
)

// itemNamespace returns metadata.namespace of one item of a list ("" for a
// cluster-scoped object). It reads the item only up to its namespace, which
// the API server writes near the start.
func itemNamespace(item json.RawMessage) (string, error) {
	ns, _, err := itemNames(item, true)
	return ns, err
}

// itemNames returns metadata.namespace and metadata.name of one item of a
// list; with nsOnly it stops at the namespace.
func itemNames(item json.RawMessage, nsOnly bool) (namespace, name string, err error) {
	_, err = eachMember(item, skipSpace(item, 0), func(key []byte, vs, ve int) (bool, error) {
		if !keyIs(key, "metadata") {
			return false, nil
		}
		var err error
		namespace, name, err = metaNames(item[vs:ve], nsOnly)
		return true, err
	})
	if err != nil {
		return "", "", fmt.Errorf("decode item metadata: %w", err)
	}
	return namespace, name, nil
}

// metaNames returns namespace and name of an object's metadata. With
// nsOnly it stops at the namespace.
func metaNames(meta []byte, nsOnly bool) (namespace, name string, err error) {
	if string(meta) == "null" {
		return "", "", nil
	}
	var haveNS, haveName bool
	_, err = eachMember(meta, skipSpace(meta, 0), func(key []byte, vs, ve int) (bool, error) {
		var err error
		switch {
		case keyIs(key, "namespace"):
			namespace, err = stringValue(meta[vs:ve])
			haveNS = true
		case keyIs(key, "name"):
			name, err = stringValue(meta[vs:ve])
			haveName = true
		}
		return haveNS && (nsOnly || haveName), err
	})
	return namespace, name, err
}
