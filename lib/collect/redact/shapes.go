package redact

import (
	"bytes"
	"regexp"
)

// Shapes that gitleaks' rules do not cover, because they hide a secret in
// an ordinary URL or header rather than in a vendor's token format.

// shapeFinders are the shape rules of this file, their keywords interned in
// kw.
func shapeFinders(kw *keywordTable) []finder {
	return []finder{
		&regexFinder{
			rule: rURLToken,
			kws:  kw.addAll("://"),
			also: kw.addAll("@"),
			// scheme://TOKEN@host: a userinfo without ":" that looks like a
			// token (git clone https://ghp_…@github.com/…); a plain user
			// name (ssh://git@host) stays.
			re:   regexp.MustCompile(`(?i)[a-z][a-z0-9+.-]*://(?P<mask>[^\s:/?#@"'\\\[\]<>]+)@`),
			skip: func(v []byte) bool { return !looksLikeToken(v, 8) },
			pre:  hasUserinfo,
		},
		&dsnFinder{
			kws: kw.addAll("@"),
			// user:password@host without a scheme (DSNs, "dsn: app:pw@db:5432/x").
			re: regexp.MustCompile(`(?:^|[\s"'=(,;\[])[A-Za-z0-9._%+-]+:(?P<mask>[^\s@/"'\\\[\]<>]+)@(?P<host>[A-Za-z0-9\[][^\s"'\\<>]*)`),
		},
		&webhookFinder{
			kws:  kw.addAll("hook"),
			urls: kw.addAll("://"),
			// Slack, Discord, Teams, Mattermost and most chat webhooks carry
			// their secret in the path after a webhook segment.
			re: regexp.MustCompile(`(?i)https?://[a-z0-9.-]+(?::\d+)?(?P<path>/[^\s"'?#<>\\\]\)]*)`),
		},
		&regexFinder{
			rule: rWebhook,
			kws:  kw.addAll("hooks.slack.com"),
			re:   regexp.MustCompile(`(?i)hooks\.slack\.com/(?:services|workflows|triggers)/(?P<mask>[^\s"'?#<>\\\]\)]+)`),
		},
		&regexFinder{
			rule: rSignedURL,
			kws:  kw.addAll("signature", "sig=", "x-amz-", "x-goog-", "credential="),
			// Pre-signed S3 / GCS URLs, Azure SAS tokens, CloudFront and
			// AWS SigV4 headers: the signature and the credentials.
			re: regexp.MustCompile(`(?i)(?:^|[?&;,\s"'])(?:x-amz-signature|x-amz-credential|x-amz-security-token|` +
				`x-goog-signature|x-goog-credential|sig|signature|credential)=(?P<mask>[^&\s"'#,;\\]+)`),
			skip: isMaskValue,
		},
		&regexFinder{
			rule: rPassword,
			kws:  kw.addAll("mysql", "mariadb"),
			// mysql -uroot -pS3cret: the password glued to -p.
			re: regexp.MustCompile(`(?:^|[\s"'\[,])-p["']?(?P<mask>[^\s"',\]]+)`),
		},
		&regexFinder{
			rule: rPassword,
			kws:  kw.addAll("curl"),
			// curl -u user:password (gitleaks' curl rule drops passwords of
			// low entropy).
			re: regexp.MustCompile(`(?:^|\s)(?:-u|--user)(?:=|\s*)["']?[^\s:"']*:(?P<mask>[^\s"']+)`),
		},
		&regexFinder{
			rule: rPassword,
			kws:  kw.addAll("sshpass"),
			re:   regexp.MustCompile(`\bsshpass\s+-p\s*["']?(?P<mask>[^\s"']+)`),
		},
		&cookieFinder{
			kw: kw.add("cookie"),
			re: regexp.MustCompile(`(?i)(?:^|[^a-z0-9_.-])[a-z0-9_.-]*cookie\\*["']?[ \t]*[:=][ \t]*(?P<open>\\*["']|\[)?`),
		},
	}
}

// webhookFinder masks a URL's path after its first webhook segment
// (webhook, webhooks, hooks, webhookb2, IncomingWebhook).
type webhookFinder struct {
	kws  []int
	urls []int // "://": the regex needs a URL
	re   *regexp.Regexp
}

func (f *webhookFinder) keyed() bool { return true }

var webhookSegments = map[string]bool{"webhook": true, "webhooks": true, "hooks": true, "webhookb2": true, "incomingwebhook": true}

func (f *webhookFinder) find(w *writer, line []byte) {
	if !w.hasAny(f.kws) || !w.hasAny(f.urls) {
		return
	}
	for _, m := range f.re.FindAllSubmatchIndex(line, -1) {
		ps, pe := m[2], m[3]
		for i := ps; i < pe; {
			j := i + 1
			for j < pe && line[j] != '/' {
				j++
			}
			if j+1 < pe && webhookSegments[string(bytes.ToLower(line[i+1:j]))] {
				if !isMaskValue(line[j+1 : pe]) {
					w.add(j+1, pe, rWebhook)
				}
				break
			}
			i = j
		}
	}
}

// dsnFinder masks the password of user:password@host written without a
// scheme. Image references (name:tag@sha256:…) are not DSNs.
type dsnFinder struct {
	kws []int
	re  *regexp.Regexp
}

func (f *dsnFinder) keyed() bool { return true }

func (f *dsnFinder) find(w *writer, line []byte) {
	if !w.hasAny(f.kws) || !hasDSNPassword(line) {
		return
	}
	for _, m := range f.re.FindAllSubmatchIndex(line, -1) {
		s, e := m[2], m[3]
		host := line[m[4]:m[5]]
		if hasPrefixFold(host, "sha256:") || hasPrefixFold(host, "sha512:") || isMaskValue(line[s:e]) {
			continue
		}
		w.add(s, e, rConnString)
	}
}

// cookieFinder masks the values of Cookie and Set-Cookie headers (and of
// keys ending in "cookie"), pair by pair: cookie names and attributes
// (Path, Expires, …) stay readable.
type cookieFinder struct {
	kw int
	re *regexp.Regexp
}

func (f *cookieFinder) keyed() bool { return true }

// cookieAttrs are Set-Cookie attributes, not cookies.
var cookieAttrs = map[string]bool{
	"path": true, "domain": true, "expires": true, "max-age": true, "samesite": true,
	"secure": true, "httponly": true, "priority": true, "partitioned": true, "version": true, "comment": true,
}

func (f *cookieFinder) find(w *writer, line []byte) {
	if !w.has(f.kw) {
		return
	}
	for _, m := range f.re.FindAllSubmatchIndex(line, -1) {
		start := m[1]
		end := len(line)
		if m[2] >= 0 {
			open := line[m[2]:m[3]]
			switch open[len(open)-1] {
			case '[':
				if i := bytes.IndexByte(line[start:], ']'); i >= 0 {
					end = start + i
				}
			default:
				end = quotedEnd(line, start, len(open)-1)
			}
		}
		f.pairs(w, line, start, end)
	}
}

// pairs masks the values of the "name=value; …" pairs in line[s:e].
func (f *cookieFinder) pairs(w *writer, line []byte, s, e int) {
	for s < e {
		segE := s + bytes.IndexByte(line[s:e], ';')
		if segE < s {
			segE = e
		}
		a, b := trimBlank(line, s, segE)
		if a < b {
			seg := line[a:b]
			if eq := bytes.IndexByte(seg, '='); eq >= 0 {
				if !cookieAttrs[string(bytes.ToLower(bytes.TrimSpace(seg[:eq])))] {
					if v := a + eq + 1; v < b && !isMaskValue(line[v:b]) {
						w.add(v, b, rCookie)
					}
				}
			} else if !cookieAttrs[string(bytes.ToLower(seg))] && !isBenign(seg) && !isMaskValue(seg) &&
				seg[0] != '{' && seg[0] != '|' && seg[0] != '>' {
				w.add(a, b, rCookie)
			}
		}
		s = segE + 1
	}
}

// hasPrefixFold is bytes.HasPrefix, ASCII case-insensitively (prefix is
// lower case).
func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && hasSuffixFold(b[:len(prefix)], prefix)
}

// hasUserinfo is the prefilter of the scheme://user:password@ and
// scheme://TOKEN@ rules: it reports false only for lines neither regex can
// match. Both need an "@" after "://" with none of the bytes both exclude
// (blanks as \s has them, "/", "?", "#", quotes, backslash) in between. Most
// lines with a URL and an "@" (an access log's user, a "main@sha1:" revision)
// fail it, where the regexes would try every letter of the line as a scheme.
func hasUserinfo(line []byte) bool {
	for off := 0; ; {
		i := bytes.Index(line[off:], []byte("://"))
		if i < 0 {
			return false
		}
		j := off + i + 3
		for ; j < len(line); j++ {
			c := line[j]
			if c == '@' {
				return true
			}
			if isUserinfoStop(c) {
				break
			}
		}
		off = off + i + 3
	}
}

func isUserinfoStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\f', '\r', '/', '?', '#', '"', '\'', '\\':
		return true
	}
	return false
}

// hasDSNPassword is the prefilter of dsnFinder's regex: false only for lines
// it cannot match. A match ends in ":" password "@" host, the password bytes
// all outside the regex's stop set (which ":" is not in), the host starting
// with a letter, digit or "[": so going back from such an "@" over bytes
// outside the stop set meets a ":" before the byte right before the "@".
func hasDSNPassword(line []byte) bool {
	for p := bytes.IndexByte(line, '@'); p >= 0; {
		if p+1 < len(line) && isDSNHostStart(line[p+1]) {
			for q := p - 1; q >= 0 && !isDSNStop(line[q]); q-- {
				if line[q] == ':' && q < p-1 {
					return true
				}
			}
		}
		n := bytes.IndexByte(line[p+1:], '@')
		if n < 0 {
			return false
		}
		p += 1 + n
	}
	return false
}

// isDSNStop: the bytes dsnFinder's password class excludes.
func isDSNStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\f', '\r', '@', '/', '"', '\'', '\\', '[', ']', '<', '>':
		return true
	}
	return false
}

func isDSNHostStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '['
}
