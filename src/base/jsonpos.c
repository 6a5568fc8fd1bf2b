/* SPDX-License-Identifier: MIT */
#include "jsonpos.h"

#include "alloc.h"

/* Open addressing, linear probing. Keys: (parent, key string) or (parent, index). */
typedef struct Entry {
        const json_t *parent;
        char *key; /* NULL for array items and the root */
        size_t index;
        bool used;
        bool is_root;
        PcSrcPos key_pos;
        PcSrcPos value_pos;
} Entry;

struct PcJsonPos {
        Entry *entries;
        size_t n_entries;
        size_t n_buckets; /* power of two */
        bool has_root;
        PcSrcPos root;
};

PcJsonPos *pc_jsonpos_new(void)
{
        PcJsonPos *m = xcalloc(1, sizeof(*m));
        m->n_buckets = 64;
        m->entries = xcalloc(m->n_buckets, sizeof(Entry));
        return m;
}

PcJsonPos *pc_jsonpos_free(PcJsonPos *m)
{
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_buckets; i++)
                free(m->entries[i].key);
        free(m->entries);
        free(m);
        return NULL;
}

static uint64_t hash_ptr(const void *p)
{
        uint64_t h = (uint64_t) (uintptr_t) p;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        return h;
}

static uint64_t hash_entry(const json_t *parent, const char *key, size_t index)
{
        uint64_t h = hash_ptr(parent);
        if (key) {
                for (const unsigned char *p = (const unsigned char *) key; *p; p++)
                        h = (h ^ *p) * 0x100000001b3ULL; /* FNV-1a step */
        } else
                h ^= hash_ptr((const void *) (uintptr_t) (index + 1));
        return h;
}

static bool entry_matches(const Entry *e, const json_t *parent, const char *key, size_t index)
{
        if (!e->used || e->is_root || e->parent != parent)
                return false;
        if (key)
                return e->key && streq(e->key, key);
        return !e->key && e->index == index;
}

static Entry *find_slot(const PcJsonPos *m, const json_t *parent, const char *key, size_t index)
{
        size_t mask = m->n_buckets - 1;
        for (size_t i = hash_entry(parent, key, index) & mask;; i = (i + 1) & mask) {
                Entry *e = &m->entries[i];
                if (!e->used || entry_matches(e, parent, key, index))
                        return e;
        }
}

static void rehash(PcJsonPos *m)
{
        Entry *old = m->entries;
        size_t old_n = m->n_buckets;
        m->n_buckets *= 2;
        m->entries = xcalloc(m->n_buckets, sizeof(Entry));
        for (size_t i = 0; i < old_n; i++) {
                if (!old[i].used)
                        continue;
                Entry *e = find_slot(m, old[i].parent, old[i].key, old[i].index);
                *e = old[i];
        }
        free(old);
}

static void put(PcJsonPos *m, const json_t *parent, const char *key, size_t index, PcSrcPos kpos,
                PcSrcPos vpos)
{
        if ((m->n_entries + 1) * 4 > m->n_buckets * 3)
                rehash(m);
        Entry *e = find_slot(m, parent, key, index);
        if (!e->used) {
                e->used = true;
                e->parent = parent;
                e->key = key ? xstrdup(key) : NULL;
                e->index = index;
                m->n_entries++;
        }
        e->key_pos = kpos;
        e->value_pos = vpos;
}

void pc_jsonpos_set_root(PcJsonPos *m, PcSrcPos value_pos)
{
        m->has_root = true;
        m->root = value_pos;
}

bool pc_jsonpos_get_root(const PcJsonPos *m, PcSrcPos *ret_value)
{
        if (!m || !m->has_root)
                return false;
        if (ret_value)
                *ret_value = m->root;
        return true;
}

void pc_jsonpos_set_member(PcJsonPos *m, const json_t *parent, const char *key, PcSrcPos key_pos,
                           PcSrcPos value_pos)
{
        put(m, parent, key, 0, key_pos, value_pos);
}

bool pc_jsonpos_get_member(const PcJsonPos *m, const json_t *parent, const char *key,
                           PcSrcPos *ret_key, PcSrcPos *ret_value)
{
        if (!m || !key)
                return false;
        const Entry *e = find_slot(m, parent, key, 0);
        if (!e->used)
                return false;
        if (ret_key)
                *ret_key = e->key_pos;
        if (ret_value)
                *ret_value = e->value_pos;
        return true;
}

void pc_jsonpos_set_item(PcJsonPos *m, const json_t *parent, size_t index, PcSrcPos value_pos)
{
        put(m, parent, NULL, index, value_pos, value_pos);
}

bool pc_jsonpos_get_item(const PcJsonPos *m, const json_t *parent, size_t index,
                         PcSrcPos *ret_value)
{
        if (!m)
                return false;
        const Entry *e = find_slot(m, parent, NULL, index);
        if (!e->used)
                return false;
        if (ret_value)
                *ret_value = e->value_pos;
        return true;
}

size_t pc_jsonpos_size(const PcJsonPos *m)
{
        return m ? m->n_entries : 0;
}
