package workloads

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Limits on trace input. A file that passes one gets an error that names it; nothing is read
// beyond it.
const (
	// MaxLineBytes bounds one line of a trace file (1 MiB), so a file without newlines cannot
	// make the reader buffer all of it.
	MaxLineBytes = 1 << 20
	// MaxSamples bounds the samples of one trace (10 million, 160 MB in memory; a month at one
	// sample per second is 2.6 million). Resample finer traces before use.
	MaxSamples = 10_000_000
	// MaxTime bounds a time in a trace file, before the first time is subtracted: 4e9 s, about
	// 126 years. Unix timestamps in seconds fit; in milliseconds they do not, and the error
	// says so. Within it, every sum of two trace times fits in a time.Duration.
	MaxTime = 4_000_000_000 * time.Second
)

// The limits as variables, so tests can lower them.
var (
	maxLineBytes = MaxLineBytes
	maxSamples   = MaxSamples
)

// ParseError is a problem in a trace file. Its message is "NAME:LINE: what is wrong, what is
// allowed".
type ParseError struct {
	Name string // the name given to the reader, usually the file path
	Line int    // 1-based line of the input
	Msg  string // what is wrong and what is allowed
	Err  error  // the underlying read or CSV syntax error, if any
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg) }

func (e *ParseError) Unwrap() error { return e.Err }

// plural returns "1 field" or "n fields".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// duration converts a time field to a Duration, to the nearest nanosecond (halves round up).
// text is a decimal number >= 0, and sec, its value, is at most MaxTime + 1 s.
//
// A plain decimal ("1700000000.123") is converted digit by digit, exactly: through a float64,
// a fractional Unix timestamp would be off by up to a few hundred nanoseconds (its ulp), and
// a 15 s step would read as 14.999999881 s. Text with an exponent goes through sec; for whole
// seconds that is exact too, since sec*1e9 = sec*1953125*2^9 and sec*1953125 < 2^53 within
// MaxTime.
func duration(text string, sec float64) time.Duration {
	digits := strings.TrimLeft(text, "+-") // a '-' only reaches here on a zero
	if strings.ContainsAny(digits, "eE") {
		return time.Duration(math.Round(sec * 1e9))
	}
	whole, frac, _ := strings.Cut(digits, ".")
	var d time.Duration
	for i := 0; i < len(whole); i++ {
		d = d*10 + time.Duration(whole[i]-'0') // cannot overflow: the value is <= 4e9 + 1
	}
	d *= time.Second
	scale := time.Second
	for i := 0; i < len(frac); i++ {
		if scale == 1 {
			if frac[i] >= '5' {
				d++
			}
			break
		}
		scale /= 10
		d += time.Duration(frac[i]-'0') * scale
	}
	return d
}

// isDecimal reports whether s uses only the characters of a decimal float literal, ruling out
// what strconv.ParseFloat also accepts: hexadecimal ("0x1p3"), digit separators ("1_000"),
// "Inf" and "NaN".
func isDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', c == '.', c == '+', c == '-', c == 'e', c == 'E':
		default:
			return false
		}
	}
	return true
}

// quote quotes a field's text for a message, cut to 40 bytes so that a huge field cannot flood
// the message.
func quote(s string) string {
	const show = 40
	if len(s) > show {
		return strconv.Quote(s[:show]) + "..."
	}
	return strconv.Quote(s)
}

var (
	errLineTooLong = errors.New("line too long")
)
