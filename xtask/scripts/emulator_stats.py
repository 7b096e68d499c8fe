# Prints an emulator's /__emulator/stats as "operation succeeded total" lines, for
# `cargo xtask conformance` (xtask has no HTTP client or JSON parser of its own).
import json
import sys
import urllib.request

data = json.load(urllib.request.urlopen(sys.argv[1]))["data"]
for name, counts in data["operations"].items():
    print(name, counts["succeeded"], counts["total"])
print("bulk_items_applied", data["bulk_items_applied"], data["bulk_items_applied"])
