"""Offline shim for @rules_java: re-exports Bazel 4.2.3's native Java rules.

@bazel_tools//tools/jdk is always registered and loads these; weft has no
Java code, but Bazel must still resolve the repository without a download.
"""

def java_import(**attrs):
    native.java_import(**attrs)

def java_runtime(**attrs):
    native.java_runtime(**attrs)

def java_toolchain(**attrs):
    native.java_toolchain(**attrs)

def java_binary(**attrs):
    native.java_binary(**attrs)

def java_library(**attrs):
    native.java_library(**attrs)

def java_test(**attrs):
    native.java_test(**attrs)

def java_plugin(**attrs):
    native.java_plugin(**attrs)
