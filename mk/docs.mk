# SPDX-License-Identifier: MIT
# docs.mk: `make docs` renders the diagrams of docs/user-guide.md with
# Graphviz (tools/docs-diagrams: sources in docs/img/src/,
# include/kairos/profile_virt.h and the subsystem graph of tools/check-deps
# --graph --dot) into build/docs/ and copies the SVGs to
# docs/img/, where they are committed; then, like `make docs-examples`, it
# writes the example outputs marked in the docs from this build
# (tools/docs-examples). tests/integration/test_docs.py and
# test_doc_examples.py fail when either is stale.
.PHONY: docs docs-diagrams docs-examples

docs: docs-diagrams docs-examples

docs-diagrams: | $(HOST_STAMP)
	$(PYTHON) tools/docs-diagrams --out $(BUILD)/docs --install

# The commands the examples run need Kairos and the guests.
docs-examples: all guests
	$(PYTHON) tools/docs-examples
