package redact

import (
	"strings"
	"testing"
)

// hidden runs each input through a fresh built-in Set and checks that
// every secret is gone and every keep string is still there.
func hidden(t *testing.T, in string, secrets []string, keep ...string) string {
	t.Helper()
	out := redactString(t, mustNew(t, nil, true), "f.log", in)
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("secret %q leaked:\n in: %q\nout: %q", s, in, out)
		}
	}
	for _, k := range keep {
		if !strings.Contains(out, k) {
			t.Errorf("%q was lost:\n in: %q\nout: %q", k, in, out)
		}
	}
	return out
}

func TestShapeURLs(t *testing.T) {
	tok := "ghp_" + strings.Repeat("aB3", 12)
	hidden(t, "git clone https://"+tok+"@github.com/o/r.git\n", []string{tok}, "@github.com/o/r.git")
	hidden(t, "url: https://deploy:"+tok+"@gitlab.example/x\n", []string{tok})
	hidden(t, "remote https://x7Kq9pLm2Zt4Rw8@git.example/x\n", []string{"x7Kq9pLm2Zt4Rw8"}, "git.example")
	hidden(t, "WEBHOOK=https://hooks.slack.com/services/T0123ABC/B0456DEF/abcDEF123ghiJKL456mnoPQR\n",
		[]string{"abcDEF123ghiJKL456mnoPQR", "B0456DEF"}, "hooks.slack.com/services/")
	hidden(t, `notify: "https://discord.com/api/webhooks/123456789012345678/Zx9-Yw8_Vu7TsRq"`+"\n",
		[]string{"Zx9-Yw8_Vu7TsRq"}, "discord.com/api/webhooks/")
	hidden(t, "teams https://acme.webhook.office.com/webhookb2/1111-2222@3333/IncomingWebhook/abcdef0123/4444-5555\n",
		[]string{"abcdef0123", "1111-2222@3333"}, "acme.webhook.office.com")
	hidden(t, "GET https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAX%2F20240101&X-Amz-Signature=0a1b2c3d4e5f60718293a4b5c6d7e8f9&X-Amz-Expires=3600\n",
		[]string{"0a1b2c3d4e5f60718293a4b5c6d7e8f9", "AKIAX%2F20240101"}, "X-Amz-Expires=3600")
	hidden(t, "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2024&sp=r&sig=AbC%2Bdef123%3D\n",
		[]string{"AbC%2Bdef123%3D"}, "sv=2022-11-02")
	hidden(t, "https://storage.googleapis.com/b/o?X-Goog-Signature=deadbeef0011&X-Goog-Credential=sa%40p\n",
		[]string{"deadbeef0011", "sa%40p"})
	hidden(t, "dsn: app:Sup3rS3cret@db.internal:5432/app\n", []string{"Sup3rS3cret"})
	hidden(t, "connecting to app:Sup3rS3cret@db.internal:5432/app\n", []string{"Sup3rS3cret"}, "db.internal:5432")
	// Image references and plain user@host stay.
	for _, keep := range []string{
		"image: registry.k8s.io/pause:3.9@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097\n",
		"ssh://git@github.com/o/r\n",
		"email admin@example.com\n",
		"https://kubernetes.default.svc:443/api/v1/namespaces/kube-system/services/kube-dns\n",
		"url: https://cert-manager-webhook.cert-manager.svc:443/validate\n",
	} {
		testUnchanged(t, keep)
	}
}

func TestShapeHeaders(t *testing.T) {
	hidden(t, "req headers map[Accept:[*/*] Authorization:[Basic dXNlcjpwYXNzd29yZA==] User-Agent:[kubectl]]\n",
		[]string{"dXNlcjpwYXNzd29yZA=="}, "User-Agent:[kubectl]", "Authorization:[Basic")
	hidden(t, `{"Authorization":["Bearer abc123def456ghi"]}`+"\n", []string{"abc123def456ghi"})
	hidden(t, `Authorization: Digest username="bob", realm="x", response="6629fae49393a05397450978507c4ef1"`+"\n",
		[]string{"6629fae49393a05397450978507c4ef1"})
	hidden(t, "Set-Cookie: session=9f8e7d6c5b4a; Path=/; HttpOnly; Secure\n", []string{"9f8e7d6c5b4a"}, "session=", "Path=/", "HttpOnly")
	hidden(t, "Cookie: _ga=GA1.2.3; sid=s%3Aabcdef.xyz\n", []string{"GA1.2.3", "s%3Aabcdef.xyz"}, "sid=")
	hidden(t, `"cookie": "grafana_session=0123456789abcdef"`+"\n", []string{"0123456789abcdef"})
	hidden(t, "map[Cookie:[oauth2_proxy=QWxhZGRpbjpvcGVu; other=1]]\n", []string{"QWxhZGRpbjpvcGVu"})
	hidden(t, "mysql -h db -uroot -pS3cretPW app\n", []string{"S3cretPW"}, "-uroot")
	hidden(t, "curl -u admin:hunter22 https://x/api\n", []string{"hunter22"})
	hidden(t, "sshpass -p 'hunter22' ssh root@host\n", []string{"hunter22"})
}

const vaultBody = "Qm9vdHN0cmFwVG9rZW4xMjM0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXpBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWjAx"

func TestShapeGitleaks(t *testing.T) {
	for _, c := range []struct{ in, secret string }{
		{"export GITHUB_PAT=github_pat_11ABCDEFG0abcdefghijkl_" + strings.Repeat("Ab1", 19) + "xy\n", "11ABCDEFG0abcdefghijkl"},
		{"token glpat-" + "aB3dE5gH7jK9mN1pQ2rS" + " used\n", "aB3dE5gH7jK9mN1pQ2rS"},
		{"slack: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx\n", "AbCdEfGhIjKlMnOpQrStUvWx"},
		{`"stripe":"sk_live_` + "4eC39HqLyjWDarjtT1zdp7dc" + `"` + "\n", "4eC39HqLyjWDarjtT1zdp7dc"},
		{"key=AIzaSyD" + "aGmWKa4JsXZ-HjGw7ISLn_3namBGewQe" + "\n", "aGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"},
		{"vault hvs.CAESIB" + vaultBody + " ok\n", vaultBody},
		{"npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + "\n", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"},
	} {
		hidden(t, c.in, []string{c.secret})
	}
}
