"""Reading and checking a spec file: parse it, resolve ``$ref``, check it, fill its defaults.

``hypermax.validation.resolve_and_validate`` puts these modules together; ``hypermax.spec`` turns
the result into a frozen Spec.
"""
