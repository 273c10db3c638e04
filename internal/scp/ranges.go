package scp

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// ParseRanges reads the values of an IP condition (aws:SourceIp): CIDR
// ranges, IPv4 or IPv6, or single addresses (a /32 or /128). Host bits
// are cleared, as IAM matches the network. The first value that is
// neither is an error naming it.
func ParseRanges(values []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(values))
	for _, v := range values {
		p, err := parseRange(v)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func parseRange(v string) (netip.Prefix, error) {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR range (want e.g. 203.0.113.0/24 or 2001:db8::/32): %w", v, err)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR range nor an IP address (want e.g. 203.0.113.0/24 or 2001:db8::/32)", v)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// comparePrefix orders ranges by address (IPv4 first), then the wider
// first.
func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// normalize sorts ranges and drops those inside another: the same set
// of addresses, written once.
func normalize(ps []netip.Prefix) []netip.Prefix {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, comparePrefix)
	out := ps[:0]
	for _, p := range ps {
		// Sorted by address then width, a range inside another comes
		// after the one holding it, with none between that is not inside
		// it too: checking the last kept range is enough.
		if len(out) > 0 && contains(out[len(out)-1], p) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// contains reports whether the range a holds every address of b.
func contains(a, b netip.Prefix) bool {
	return a.Addr().Is4() == b.Addr().Is4() && a.Bits() <= b.Bits() && a.Contains(b.Addr())
}

// union is every address of a or b.
func union(a, b []netip.Prefix) []netip.Prefix {
	return normalize(append(slices.Clone(a), b...))
}

// intersect is every address in both a and b: two CIDR ranges overlap
// only when one holds the other, and then they share the narrower.
func intersect(a, b []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range a {
		for _, y := range b {
			switch {
			case contains(x, y):
				out = append(out, y)
			case contains(y, x):
				out = append(out, x)
			}
		}
	}
	return normalize(out)
}
