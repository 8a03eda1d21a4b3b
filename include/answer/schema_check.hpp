#pragma once
// schema_check: the schema checker — whether a JSON Schema is one the generator accepts, and
// if not, a static message and the dotted path of the offending schema.
//
// Level 0. Pure: no syscalls, no allocation, no exceptions. The schema is a simdjson DOM
// element the caller owns; the path goes into the caller's out_buf. Any thread may call it.
// Recursion: one check frame (288 bytes, g++ 12 -O2 -fstack-usage) per schema level, bounded
// by SCHEMA_MAX_DEPTH.
//
// This module defines lms::check_schema, declared (with its full contract) in the public
// header answer/schema_json.hpp; it has no other interface.
#include "answer/schema_json.hpp"
