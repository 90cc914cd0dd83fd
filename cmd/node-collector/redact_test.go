package main

import (
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"token flag", "    - --token=abc", "    - --token=" + hidden},
		{"quoted flag", `    - "--etcd-password=x y"`, `    - "--etcd-password=` + hidden + ` y"`},
		{"flag in env file", `KUBELET_ARGS="--node-ip=1.2.3.4 --bootstrap-token=abc.def"`, `KUBELET_ARGS="--node-ip=1.2.3.4 --bootstrap-token=` + hidden + `"`},
		{"file flags stay", "- --token-auth-file=/etc/tokens.csv\n- --tls-private-key-file=/pki/a.key", "- --token-auth-file=/etc/tokens.csv\n- --tls-private-key-file=/pki/a.key"},
		{"flag then value", "- --token\n- abc\n- --other", "- --token\n- " + hidden + "\n- --other"},
		{"yaml key", "  bearerToken: abc\n  secretName: keep", "  bearerToken: " + hidden + "\n  secretName: keep"},
		{"bool kept", "automountServiceAccountToken: false", "automountServiceAccountToken: false"},
		{"toml", "  password = \"p\"\n  auth = \"\"\n  username = \"u\"", "  password = " + hidden + "\n  auth = \"\"\n  username = \"u\""},
		{"authorization header", `  Authorization = "Basic abc"`, "  Authorization = " + hidden},
		{"env file", "export API_KEY_ID=abc\nPATH=/bin", "export API_KEY_ID=" + hidden + "\nPATH=/bin"},
		{"env entry", "env:\n- name: MY_SECRET\n  value: s\n- name: OTHER\n  value: o", "env:\n- name: MY_SECRET\n  value: " + hidden + "\n- name: OTHER\n  value: o"},
		{"env value first", "  - value: s\n    name: API_KEY\n  - name: X\n    value: x", "  - value: " + hidden + "\n    name: API_KEY\n  - name: X\n    value: x"},
		{"env flow", "- {name: DB_PASSWORD, value: 's p'}", "- {name: DB_PASSWORD, value: " + hidden + "}"},
		{"unit environment", `Environment="HTTP_PROXY=http://p:3128" "REGISTRY_TOKEN=abc" KUBELET_PASSWORD=x`, `Environment="HTTP_PROXY=http://p:3128" "REGISTRY_TOKEN=` + hidden + `" KUBELET_PASSWORD=` + hidden},
		{"bearer header in a log", `I1204 request.go:1] "Request" headers="Authorization: Bearer abcdefgh12345678" verb=GET`, `I1204 request.go:1] "Request" headers="Authorization: Bearer ` + hidden + `" verb=GET`},
		{"jwt", "token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl end", "token " + hidden + " end"},
		{"crictl row kept", "0f1e2d3c4b5a6   registry.k8s.io/kube-apiserver:v1.34.1   Running   kube-apiserver", "0f1e2d3c4b5a6   registry.k8s.io/kube-apiserver:v1.34.1   Running   kube-apiserver"},
		{"iptables rule kept", `-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -j KUBE-SVC-ERIFXISQEP7F7OF4`, `-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -j KUBE-SVC-ERIFXISQEP7F7OF4`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := redact(tc.in); got != tc.want {
				t.Errorf("redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFilterSince(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.Local)
	cutoff := now.Add(-24 * time.Hour)
	in := "Dec 30 10:00:00 h kubelet[1]: old\n" +
		"  old continuation\n" +
		"Dec 31 13:00:00 h kubelet[1]: new across the year\n" +
		"I1231 14:00:00.000000 1 x.go:1] klog new\n" +
		"2025-12-30T00:00:00Z h kubelet: rfc old\n" +
		"2026-01-01T11:00:00+00:00 h kubelet: rfc new\n"
	want := "Dec 31 13:00:00 h kubelet[1]: new across the year\n" +
		"I1231 14:00:00.000000 1 x.go:1] klog new\n" +
		"2026-01-01T11:00:00+00:00 h kubelet: rfc new\n"
	if got := filterSince(in, cutoff, now); got != want {
		t.Errorf("filterSince:\n got %q\nwant %q", got, want)
	}
}

func TestDecodeCaps(t *testing.T) {
	got, err := decodeCaps("00000000a80425fb")
	want := "CHOWN,DAC_OVERRIDE,FOWNER,FSETID,KILL,SETGID,SETUID,SETPCAP,NET_BIND_SERVICE,NET_RAW,SYS_CHROOT,MKNOD,AUDIT_WRITE,SETFCAP"
	if err != nil || got != want {
		t.Errorf("decodeCaps = %q, %v; want %q", got, err, want)
	}
}
