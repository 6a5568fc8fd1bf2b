/* SPDX-License-Identifier: MIT */
#include "redact.h"

#include <ctype.h>
#include <string.h>

#include "macro.h"

bool pc_secret_key_name(const char *key)
{
        static const char *const suffixes[] = {
                "apikey",     "token",       "password",      "passwd",       "secret",
                "privatekey", "accesskey",   "secretkey",     "identitydata", "certificatedata",
                "credential", "credentials", "authorization", "cookie",
        };
        char norm[128];
        size_t n = 0;
        for (const char *p = key; *p && n < sizeof(norm) - 1; p++)
                if (*p != '_' && *p != '-')
                        norm[n++] = (char) tolower((unsigned char) *p);
        norm[n] = '\0';
        if (streq(norm, "key"))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                size_t l = strlen(suffixes[i]);
                if (n >= l && streq(norm + n - l, suffixes[i]))
                        return true;
        }
        return false;
}

void pc_redact_json(json_t *v)
{
        if (json_is_object(v)) {
                const char *key;
                json_t *member;
                json_object_foreach (v, key, member) {
                        if (pc_secret_key_name(key) &&
                            (json_is_string(member) || json_is_number(member)))
                                json_object_set_new(v, key, json_string(PC_REDACTED));
                        else
                                pc_redact_json(member);
                }
        } else if (json_is_array(v)) {
                size_t i;
                json_t *item;
                json_array_foreach (v, i, item)
                        pc_redact_json(item);
        }
}
