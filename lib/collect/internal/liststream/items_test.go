package liststream

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/fixtures"
)

// splitPage splits one whole response the way List splits a streamed one.
func splitPage(raw []byte, fn func(page Head, item json.RawMessage) error) (Head, error) {
	var ls Stream
	return ls.Split(bytes.NewReader(raw), nil, fn)
}

// refPage is how encoding/json reads a list: the reference for splitPage.
type refPage struct {
	Head
	Items []json.RawMessage `json:"items"`
}

func TestSplitPageMatchesEncodingJSON(t *testing.T) {
	indented := new(bytes.Buffer)
	if err := json.Indent(indented, fixtures.PodPage(), "", "  "); err != nil {
		t.Fatal(err)
	}
	pages := map[string][]byte{
		"pods":       fixtures.PodPage(),
		"indented":   indented.Bytes(),
		"empty":      []byte(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[]}`),
		"null items": []byte(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":null}`),
		"no items":   []byte(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"continue":"abc"}}`),
		"head last":  []byte(` {"items":[{"a":1},{"b":[2,{"c":"]}"}]}],"metadata":{"continue":"x","resourceVersion":"9"},"kind":"L","apiVersion":"v9"} `),
		"escapes": []byte(`{"kind":"L\"ist","apiVersion":"v1","metadata":{},"items":[` +
			`{"data":{"k":"a \"quoted\" } ] value \\","e":"\\\\"}},` +
			`{"data":{"u":"\u007d\"","n":null,"t":true,"f":-1.5e3}},"plain",12,null,[],{}]}`),
	}
	for name, raw := range pages {
		t.Run(name, func(t *testing.T) {
			var items []string
			var heads []Head // what fn was told, for each item
			head, err := splitPage(raw, func(page Head, item json.RawMessage) error {
				items, heads = append(items, string(item)), append(heads, page) // fn may not keep item
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			checkSplit(t, raw, head, items)
			for i, h := range heads {
				if h != head {
					t.Errorf("fn got head %+v with item %d, want %+v", h, i, head)
				}
			}
		})
	}
}

// checkSplit compares the head and items a split found in raw with how
// encoding/json reads it.
func checkSplit(t *testing.T, raw []byte, head Head, items []string) {
	t.Helper()
	var want refPage
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if head != want.Head {
		t.Errorf("head %+v, want %+v", head, want.Head)
	}
	if len(items) != len(want.Items) {
		t.Fatalf("%d items, want %d", len(items), len(want.Items))
	}
	for i := range items {
		if items[i] != string(want.Items[i]) {
			t.Errorf("item %d differs: got %.80s…, want %.80s…", i, items[i], want.Items[i])
		}
	}
}

func TestSplitPageErrors(t *testing.T) {
	for _, raw := range []string{
		``, `not json`, `[]`, `{"items":[{"a":1}`, `{"items":[1 2]}`, `{"kind":"x"} {}`,
		`{"kind":"unterminated}`, `{"kind" "x"}`, `{"items":{}}`, `{"kind":1}`, `{"metadata":[]}`, `{,}`,
	} {
		_, err := splitPage([]byte(raw), func(Head, json.RawMessage) error { return nil })
		if !errors.Is(err, ErrBadList) {
			t.Errorf("splitPage(%q) = %v, want ErrBadList", raw, err)
		}
	}
	// An error of fn is returned as is, and stops the split.
	boom := errors.New("boom")
	n := 0
	_, err := splitPage([]byte(`{"items":[1,2,3]}`), func(Head, json.RawMessage) error {
		n++
		return boom
	})
	if err != boom || n != 1 {
		t.Errorf("fn error: got %v after %d items, want boom after 1", err, n)
	}
}

func TestItemNamespace(t *testing.T) {
	for _, c := range []struct{ item, want string }{
		{`{"metadata":{"name":"a","namespace":"ns-1"}}`, "ns-1"},
		{`{"kind":"X","spec":{"namespace":"wrong"},"metadata":{"labels":{"namespace":"wrong"},"namespace":"right"}}`, "right"},
		{`{"metadata":{"name":"cluster-scoped"}}`, ""},
		{`{"metadata":null}`, ""},
		{`{"metadata":{"namespace":null}}`, ""},
		{`{}`, ""},
		{` { "metadata" : { "namespace" : "sp\u0061ced" } } `, "spaced"},
	} {
		got, err := ItemNamespace(json.RawMessage(c.item))
		if err != nil || got != c.want {
			t.Errorf("ItemNamespace(%s) = %q, %v; want %q", c.item, got, err, c.want)
		}
	}
	for _, bad := range []string{`5`, `"x"`, `{"metadata":{"namespace":5}}`, `{"metadata":[]}`, `{"metadata":{"namespace":"x`} {
		if _, err := ItemNamespace(json.RawMessage(bad)); err == nil {
			t.Errorf("ItemNamespace(%s) accepted", bad)
		}
	}
}
