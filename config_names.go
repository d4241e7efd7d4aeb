package secureredis

import "strconv"

// fieldName is how errors name the mapping key key, the index-th of its
// mapping: the key itself when it looks like a field or alias name, else its
// position, so that a secret pasted as a key (a missing colon, a shifted
// line) never lands in an error.
func fieldName(key string, index int) string {
	if plausibleName(key) {
		return key
	}
	return "[field #" + strconv.Itoa(index+1) + "]"
}

// plausibleName reports whether s looks like a field, alias or class name
// rather than a key or a password: at most 64 letters, digits and _ . - :,
// starting with a letter or _, and no run of 12 or more letters and digits
// that looks random (two digits or more, or more than a third of upper case
// letters among lower case ones), as a base64 key or a generated password
// would. CamelCase and ALL_CAPS names pass.
func plausibleName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	var run, digit, upper, lower int
	for i, c := range s {
		switch {
		case c == '_' || c == '.' || c == '-' || c == ':':
			if i == 0 && c != '_' {
				return false
			}
			run, digit, upper, lower = 0, 0, 0, 0
			continue
		case 'a' <= c && c <= 'z':
			lower++
		case 'A' <= c && c <= 'Z':
			upper++
		case '0' <= c && c <= '9' && i > 0:
			digit++
		default:
			return false
		}
		run++
		if run >= 12 && (digit >= 2 || 3*upper > run && lower > 0) {
			return false
		}
	}
	return true
}

// aliasPath is how errors name the alias name: "caches.<name>", or a
// placeholder when the name does not look like one (see fieldName).
func aliasPath(name string) string {
	if plausibleName(name) {
		return "caches." + name
	}
	return "caches.[alias not shown]"
}

// quoteName quotes a user-given name in an error when it looks like a name
// (plausibleName), and otherwise says it is not shown.
func quoteName(s string) string {
	if plausibleName(s) {
		return strconv.Quote(s)
	}
	return "(name not shown: it does not look like one)"
}
