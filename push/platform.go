package push

import (
	"fmt"
	"strings"
)

// Platform is an image's operating system and CPU architecture, as
// "os/arch[/variant]" names them ("linux/amd64", "linux/arm/v7").
type Platform struct {
	OS           string
	Architecture string
	Variant      string
}

// ParsePlatform reads "os/arch[/variant]" and normalizes common aliases:
// x86_64 is amd64, aarch64 is arm64, and arm64's default variant v8 is
// dropped.
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) < 2 || len(parts) > 3 {
		return Platform{}, fmt.Errorf("platform %q: want os/arch[/variant], such as linux/amd64",
			s)
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t") {
			return Platform{}, fmt.Errorf("platform %q: want os/arch[/variant], such as "+
				"linux/amd64", s)
		}
	}
	p := Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p.normalize(), nil
}

// String is "os/arch" or "os/arch/variant".
func (p Platform) String() string {
	s := orUnknown(p.OS) + "/" + orUnknown(p.Architecture)
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// IsZero reports whether p names no platform at all.
func (p Platform) IsZero() bool { return p == Platform{} }

// Matches reports whether an image of platform have is what p asks for:
// the same operating system, architecture and variant after normalizing.
// A p without a variant accepts any variant, except that plain arm means
// arm's default, v7.
func (p Platform) Matches(have Platform) bool {
	w, h := p.normalize(), have.normalize()
	if w.OS != h.OS || w.Architecture != h.Architecture {
		return false
	}
	return w.Variant == "" || w.Variant == h.Variant
}

// normalize lowers the case and maps aliases the way the docker CLI and
// containerd do for the platforms cdkpush is likely to meet.
func (p Platform) normalize() Platform {
	p.OS = strings.ToLower(p.OS)
	p.Architecture = strings.ToLower(p.Architecture)
	p.Variant = strings.ToLower(p.Variant)
	switch p.OS {
	case "macos":
		p.OS = "darwin"
	}
	switch p.Architecture {
	case "x86_64", "x86-64", "amd64":
		p.Architecture = "amd64"
		if p.Variant == "v1" {
			p.Variant = ""
		}
	case "aarch64", "arm64":
		p.Architecture = "arm64"
		if p.Variant == "8" || p.Variant == "v8" {
			p.Variant = ""
		}
	case "armhf":
		p.Architecture, p.Variant = "arm", "v7"
	case "armel":
		p.Architecture, p.Variant = "arm", "v6"
	case "arm":
		switch p.Variant {
		case "", "7":
			p.Variant = "v7"
		case "5", "6", "8":
			p.Variant = "v" + p.Variant
		}
	case "i386", "i486", "i586", "i686", "x86":
		p.Architecture = "386"
	}
	return p
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
