/* k8sname: the syntax Kubernetes requires of names, label keys and values, ports and quantities.
 *
 * Each check returns true when s is valid; otherwise false with *why pointing at a static
 * sentence in our own words that fits after "Invalid value: \"...\": ". s is borrowed and must
 * not be NULL. */
#ifndef OKG_WEBHOOK_K8SNAME_H
#define OKG_WEBHOOK_K8SNAME_H

#include <stdbool.h>

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, 1..63 characters (container names, quality
 * names, the GameServerSet name). */
bool kn_dns1123_label(const char *s, const char **why);

/* RFC 1123 subdomain: dot-separated labels, 1..253 characters. */
bool kn_dns1123_subdomain(const char *s, const char **why);

/* Label value: empty, or 1..63 of [A-Za-z0-9_.-] starting and ending alphanumeric. */
bool kn_label_value(const char *s, const char **why);

/* Qualified name (label and annotation keys): [prefix/]name, prefix a DNS-1123 subdomain,
 * name 1..63 of [A-Za-z0-9_.-] starting and ending alphanumeric. */
bool kn_qualified_name(const char *s, const char **why);

/* IANA service name (a named port): 1..15 of [a-z0-9-], at least one letter, no leading,
 * trailing or doubled '-'. */
bool kn_port_name(const char *s, const char **why);

/* A resource quantity as Kubernetes writes them: "100m", "32Mi", "1.5", "2e3", "1G". */
bool kn_quantity(const char *s);

#endif
