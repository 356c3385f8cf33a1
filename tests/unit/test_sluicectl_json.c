// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sluicectl's JSON reader and table printer (compiled in from tools/sluicectl, which links only its own objects). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "../../tools/sluicectl/json.c"
#include "../../tools/sluicectl/table.c"

int main(void)
{
	const char *doc = "{\"backends\":[{\"id\":1,\"name\":\"web/198.18.20.1\",\"drain\":false,"
			  "\"stats\":{\"packets\":123456789012}},{\"id\":2,\"name\":\"a\\\"b\\u0041\"}],\"n\":null}";
	static const char *const heads[] = { "ID", "NAME", "PACKETS" };
	const struct json *bes, *s;
	struct json *j = json_parse(doc);
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	ok(j != NULL, "parses an admin API document");
	bes = json_get(j, "backends");
	ok(bes && bes->type == JSON_ARR && bes->n == 2, "array of two objects");
	is_str(json_str(bes->items[0], "name"), "web/198.18.20.1", "string member");
	is_str(json_str(bes->items[0], "id"), "1", "number as text");
	is_str(json_str(bes->items[0], "drain"), "false", "bool as text");
	s = json_get(bes->items[0], "stats");
	ok(json_num(s, "packets") == 123456789012.0, "large counter keeps its value");
	is_str(json_str(s, "packets"), "123456789012", "and its digits");
	is_str(json_str(bes->items[1], "name"), "a\"bA", "escapes decoded");
	is_str(json_str(j, "missing"), "", "missing member: empty");
	json_free(j);

	ok(!json_parse("{\"a\":1,}"), "trailing comma refused");
	ok(!json_parse("{\"a\":1} x"), "trailing garbage refused");
	ok(!json_parse("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
	   "deep nesting refused");
	ok(!json_parse("\"unterminated"), "unterminated string refused");

	{
		struct table *t = table_new(3, heads);
		const char *r1[] = { "1", "web/198.18.20.1", "5" };
		const char *r2[] = { "12", "x", "123456" };

		table_add(t, r1);
		table_add(t, r2);
		f = open_memstream(&out, &len);
		table_print(t, f);
		fclose(f);
		table_free(t);
	}
	is_str(out, "ID  NAME             PACKETS\n"
		    " 1  web/198.18.20.1        5\n"
		    "12  x                 123456\n", "table: padded columns, numbers right-aligned");
	free(out);
	return done_testing();
}
