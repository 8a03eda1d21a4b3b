# schema_json: the generator's test driver for test/suite_schema_json.sh (ajv validates its
# output for every schema of test/schemas/corpus.json; test/schemas/bad.json must be refused).

build/opt/test/tools/schema_json_cli.o: test/tools/schema_json_cli.cpp | build/.test-deps
	@mkdir -p $(dir $@)
	$(CXX) $(CXXSTD) $(OPT) $(WARN) $(DEFS) $(INC) -MMD -MP -c $< -o $@

build/schema-json-cli: build/opt/test/tools/schema_json_cli.o build/opt/answer/schema_json.o build/opt/answer/schema_check.o build/opt/answer/schema_keywords.o build/opt/answer/schema_literal.o build/opt/answer/schema_value.o build/opt/answer/schema_string.o build/opt/answer/schema_pattern.o build/opt/answer/schema_number.o build/opt/answer/schema_object.o build/opt/answer/schema_array.o build/opt/answer/latency_model.o build/opt/engine/http_response.o
	$(CXX) $(OPT) $^ -lsimdjson -o $@

TEST_DEPS += build/schema-json-cli

-include $(wildcard build/opt/test/tools/*.d)
