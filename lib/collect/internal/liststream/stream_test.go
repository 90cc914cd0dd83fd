package liststream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/fixtures"
)

// collectItems splits a response read through r and copies its items out
// (fn may not keep them).
func collectItems(r io.Reader) (Head, []string, error) {
	var ls Stream
	var items []string
	head, err := ls.Split(r, nil, func(_ Head, item json.RawMessage) error {
		items = append(items, string(item))
		return nil
	})
	return head, items, err
}

// A response arrives in reads of any size: split gives the same items
// whichever way it is cut, items larger than the buffer included.
func TestListStreamReadSizes(t *testing.T) {
	big := fmt.Sprintf(`{"data":{"k":%q}}`, strings.Repeat(`x\"}]`, 3*minBuf))
	pages := map[string][]byte{
		"pods":       fixtures.PodPage(),
		"big items":  []byte(`{"kind":"L","apiVersion":"v1","metadata":{"continue":"c"},"items":[` + big + `,1,` + big + `]}`),
		"big head":   []byte(`{"kind":"L","apiVersion":"v1","metadata":{"resourceVersion":"5"},"extra":` + big + `,"items":[true,"s",-1e3]}`),
		"head last":  []byte(`{"items":[` + big + `,{}],"metadata":{"continue":"x"},"kind":"L","apiVersion":"v9"}`),
		"scalar end": []byte(`{"kind":"L","apiVersion":"v1","metadata":{},"items":[12345]}`),
	}
	readers := map[string]func([]byte) io.Reader{
		"whole":    func(b []byte) io.Reader { return bytes.NewReader(b) },
		"one byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"halves":   func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
		"data+EOF": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
	}
	for name, raw := range pages {
		for rname, reader := range readers {
			t.Run(name+"/"+rname, func(t *testing.T) {
				head, items, err := collectItems(reader(raw))
				if err != nil {
					t.Fatal(err)
				}
				checkSplit(t, raw, head, items)
			})
		}
	}
}

// The point of the stream: a page of small items needs a buffer of a few
// items, not of the page.
func TestListStreamBufferStaysSmall(t *testing.T) {
	page := fixtures.PodPage()
	var ls Stream
	n := 0
	if _, err := ls.Split(iotest.HalfReader(bytes.NewReader(page)), nil, func(Head, json.RawMessage) error {
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != fixtures.PagePods {
		t.Fatalf("%d items, want %d", n, fixtures.PagePods)
	}
	if cap(ls.buf) > minBuf || len(page) < 10*minBuf {
		t.Errorf("buffer of %d bytes for a page of %d", cap(ls.buf), len(page))
	}
}

func TestListStreamErrors(t *testing.T) {
	for _, raw := range []string{
		`{"kind":"L","apiVersion":"v1","metadata":{},"items":[1,]}`,
		`{"kind":"L","apiVersion":"v1","metadata":{},"items":[1`,
		`{"kind":"L","apiVersion":"v1","metadata":{},"items":[{"a":"b`,
		`{"kind":"L","apiVersion":"v1","metadata":{},"items":nul}`,
		`{"kind":"L","apiVersion":"v1","metadata":{},"items":5}`,
		`{"kind":"L","apiVersion":"v1","metadata":{},"items":[]`,
		`{"kind":"L","apiVersion":"v1","metadata":{},"items":[] x`,
		`{"kind":"L",}`, `{"kind":"L"`, `{"kind"`, `{"kind":`, `{"items":[1],"kind":5}`,
	} {
		_, _, err := collectItems(iotest.OneByteReader(strings.NewReader(raw)))
		if !errors.Is(err, ErrBadList) {
			t.Errorf("split(%q) = %v, want ErrBadList", raw, err)
		}
	}
	// A failed read is not a malformed list.
	cut := io.MultiReader(strings.NewReader(`{"kind":"L","apiVersion":"v1","metadata":{},"items":[{"a":`), iotest.ErrReader(io.ErrUnexpectedEOF))
	_, _, err := collectItems(cut)
	if !errors.Is(err, ErrRead) || !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrBadList) {
		t.Errorf("cut response: %v, want ErrRead wrapping io.ErrUnexpectedEOF", err)
	}
}

// fakeAPI serves LIST pages of /api/v1/configmaps as the API server does:
// each page names the next by its continue token.
func fakeAPI(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) rest.Interface {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(handle))
	t.Cleanup(srv.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return cs.CoreV1().RESTClient()
}

// Pages as the API server writes them: built-in types head first, custom
// resources (maps, keys sorted) items first. Either way every item goes to
// fn with the first page's head.
func TestListRawPages(t *testing.T) {
	pages := map[string][2]string{
		"head first": {
			`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"p2"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}`,
			`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"8"},"items":[{"metadata":{"name":"c"}}]}`,
		},
		"items first": {
			`{"apiVersion":"v1","items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}],"kind":"ConfigMapList","metadata":{"continue":"p2","resourceVersion":"7"}}`,
			`{"apiVersion":"v1","items":[{"metadata":{"name":"c"}}],"kind":"ConfigMapList","metadata":{"resourceVersion":"8"}}`,
		},
	}
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			rc := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				if q.Get("limit") != fmt.Sprint(PageSize) || q.Get("labelSelector") != "app=x" {
					t.Errorf("query %s", r.URL.RawQuery)
				}
				w.Header().Set("Content-Type", "application/json")
				switch q.Get("continue") {
				case "":
					fmt.Fprint(w, page[0])
				case "p2":
					fmt.Fprint(w, page[1])
				default:
					t.Errorf("continue %q", q.Get("continue"))
				}
			})
			var names []string
			head, err := List(context.Background(), rc, "/api/v1/configmaps", map[string]string{"labelSelector": "app=x"}, func(head Head, item json.RawMessage) error {
				if head.Kind != "ConfigMapList" || head.Metadata.ResourceVersion != "7" {
					t.Errorf("item with head %+v, want the first page's", head)
				}
				_, name, err := MetaNames(item[len(`{"metadata":`):len(item)-1], false)
				names = append(names, name)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(names, ",") != "a,b,c" || head.Kind != "ConfigMapList" || head.Metadata.ResourceVersion != "7" {
				t.Errorf("items %v, head %+v", names, head)
			}
		})
	}
}

func TestListRawErrors(t *testing.T) {
	forbidden := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"configmaps"},"code":403}`
	for _, c := range []struct {
		name        string
		code        int
		contentType string
		body        string
		check       func(error) bool
		want        string
	}{
		{"status", 403, "application/json", forbidden, apierrors.IsForbidden, `configmaps is forbidden: User "alice" cannot list`},
		{"text", 500, "text/plain", "etcd is down", apierrors.IsInternalError, `an error on the server ("etcd is down")`},
		{"malformed", 200, "application/json", `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":[{}}`, func(err error) bool { return errors.Is(err, ErrBadList) }, "decode list /api/v1/configmaps: not a JSON list"},
		{"fn", 200, "application/json", `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":[{}]}`, func(err error) bool { return errors.Is(err, errStop) }, "stop"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.contentType)
				w.WriteHeader(c.code)
				fmt.Fprint(w, c.body)
			})
			_, err := List(context.Background(), rc, "/api/v1/configmaps", nil, func(Head, json.RawMessage) error {
				if c.name == "fn" {
					return errStop
				}
				return nil
			})
			if err == nil || !c.check(err) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error with %q", err, c.want)
			}
		})
	}
}

var errStop = errors.New("stop")

// A connection cut in the middle of a page is a read error of that list,
// after the items before the cut were handed on.
func TestListRawCutResponse(t *testing.T) {
	rc := fakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		fmt.Fprint(w, `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":[{"a":1},{"b":`)
	})
	n := 0
	_, err := List(context.Background(), rc, "/api/v1/configmaps", nil, func(Head, json.RawMessage) error {
		n++
		return nil
	})
	if !errors.Is(err, ErrRead) || !strings.Contains(err.Error(), "list /api/v1/configmaps") || n != 1 {
		t.Errorf("got %v after %d items, want a read error of the list after 1", err, n)
	}
}

// itemsFirst re-encodes a page the way custom resources come: keys sorted,
// so items before kind and metadata.
func itemsFirst(t *testing.T, page []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(page, &m); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte(`{"apiVersion":"v1","items":[`)) {
		t.Fatalf("re-encoded page starts %.40q", out)
	}
	return out
}

// With the head known (a later page of a list), a page that puts its
// items first is split as it is read too, and fn sees the known head.
func TestListStreamKnownHead(t *testing.T) {
	page := itemsFirst(t, fixtures.PodPage())
	known := Head{Kind: "PodList", APIVersion: "v1"}
	known.Metadata.ResourceVersion = "1"
	for _, k := range []*Head{nil, &known} {
		var ls Stream
		n := 0
		head, err := ls.Split(iotest.HalfReader(bytes.NewReader(page)), k, func(h Head, _ json.RawMessage) error {
			n++
			if want := head0(k, "123456"); h != want {
				t.Fatalf("fn got head %+v, want %+v", h, want)
			}
			return nil
		})
		if err != nil || n != fixtures.PagePods || head.Metadata.ResourceVersion != "123456" {
			t.Fatalf("known=%v: %d items, head %+v, err %v", k != nil, n, head, err)
		}
		held := cap(ls.buf) > len(page)
		if held != (k == nil) {
			t.Errorf("known=%v: buffer of %d bytes for a page of %d", k != nil, cap(ls.buf), len(page))
		}
	}
}

// head0 is the head fn must see: known, else the page's own.
func head0(known *Head, rv string) Head {
	if known != nil {
		return *known
	}
	h := Head{Kind: "PodList", APIVersion: "v1"}
	h.Metadata.ResourceVersion, h.Metadata.Continue = rv, "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ"
	return h
}
