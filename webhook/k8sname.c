#include "webhook/k8sname.h"

#include <string.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* s[0, n) matches [a-z0-9]([-a-z0-9]*[a-z0-9])? */
static bool label_chars(const char *s, size_t n)
{
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* s[0, n) matches [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? */
static bool value_chars(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static const char label_why[] =
    "must be a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and ending "
    "with a letter or digit (regex '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

bool kn_dns1123_label(const char *s, const char **why)
{
	size_t n = strlen(s);

	if (n > 63) {
		*why = "must be no more than 63 characters";
		return false;
	}
	if (!label_chars(s, n)) {
		*why = label_why;
		return false;
	}
	return true;
}

static const char subdomain_why[] =
    "must be a lowercase RFC 1123 subdomain: labels of lowercase letters, digits and '-' "
    "separated by '.', each starting and ending with a letter or digit";

/* s[0, n) is a DNS-1123 subdomain. */
static bool subdomain_n(const char *s, size_t n, const char **why)
{
	size_t start = 0;

	if (n > 253) {
		*why = "must be no more than 253 characters";
		return false;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!label_chars(s + start, i - start)) {
				*why = subdomain_why;
				return false;
			}
			start = i + 1;
		}
	}
	return true;
}

bool kn_dns1123_subdomain(const char *s, const char **why)
{
	return subdomain_n(s, strlen(s), why);
}

bool kn_label_value(const char *s, const char **why)
{
	size_t n = strlen(s);

	if (n == 0)
		return true;
	if (n > 63) {
		*why = "must be no more than 63 characters";
		return false;
	}
	if (!value_chars(s, n)) {
		*why = "must be empty or consist of letters, digits, '-', '_' or '.', starting and "
		       "ending with a letter or digit (regex '(([A-Za-z0-9][-A-Za-z0-9_.]*)?"
		       "[A-Za-z0-9])?')";
		return false;
	}
	return true;
}

bool kn_qualified_name(const char *s, const char **why)
{
	const char *slash = strchr(s, '/');
	const char *name = s;
	size_t n;

	if (slash) {
		if (strchr(slash + 1, '/')) {
			*why = "must be a name with an optional DNS subdomain prefix and one '/' "
			       "(e.g. "
			       "'example.com/MyName')";
			return false;
		}
		if (slash == s) {
			*why = "prefix part must not be empty";
			return false;
		}
		if (!subdomain_n(s, (size_t)(slash - s), why)) {
			*why = "prefix part must be a lowercase RFC 1123 subdomain (e.g. "
			       "'example.com')";
			return false;
		}
		name = slash + 1;
	}
	n = strlen(name);
	if (n == 0) {
		*why = "name part must not be empty";
		return false;
	}
	if (n > 63) {
		*why = "name part must be no more than 63 characters";
		return false;
	}
	if (!value_chars(name, n)) {
		*why = "name part must consist of letters, digits, '-', '_' or '.', starting and "
		       "ending with a letter or digit (e.g. 'MyName' or 'my.name')";
		return false;
	}
	return true;
}

bool kn_port_name(const char *s, const char **why)
{
	size_t n = strlen(s);
	bool letter = false;

	if (n == 0 || n > 15) {
		*why = "must be a port number 1..65535 or a port name of 1 to 15 characters";
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			goto bad;
		if (s[i] == '-' && (i == 0 || i == n - 1 || s[i - 1] == '-'))
			goto bad;
	}
	if (letter)
		return true;
bad:
	*why = "must be a port number 1..65535 or a port name (lowercase letters, digits and "
	       "single '-', at least one letter)";
	return false;
}

bool kn_quantity(const char *s)
{
	static const char *const suffixes[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "m",
					       "k",  "M",  "G",	 "T",  "P",  "E",  ""};
	size_t i = 0, digits = 0;

	if (s[i] == '+' || s[i] == '-')
		i++;
	while (s[i] >= '0' && s[i] <= '9') {
		i++;
		digits++;
	}
	if (s[i] == '.') {
		i++;
		while (s[i] >= '0' && s[i] <= '9') {
			i++;
			digits++;
		}
	}
	if (digits == 0)
		return false;
	if (s[i] == 'e' || s[i] == 'E') {
		size_t j = i + 1;

		if (s[j] == '+' || s[j] == '-')
			j++;
		if (s[j] >= '0' && s[j] <= '9') {
			while (s[j] >= '0' && s[j] <= '9')
				j++;
			return s[j] == '\0';
		}
		/* a lone "E" is the exa suffix, handled below */
	}
	for (size_t k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++)
		if (strcmp(s + i, suffixes[k]) == 0)
			return true;
	return false;
}
