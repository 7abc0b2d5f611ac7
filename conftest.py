# `devtools/` and `gateway/` (like `shared/`) holds a package of its own name under `src/`. Imported here,
# before collection, the real package is what pytest's importlib mode finds as the parent of
# `devtools/tests/...`; otherwise pytest takes the outer directory for a namespace package of that name and
# `import devtools.<module>` fails in those tests. (`shared` is imported by the plugin below.)
import devtools  # noqa: F401
import gateway  # noqa: F401

pytest_plugins = ["shared.testing"]
