# Generated from recipe.schema.json by fastjsonschema: do not edit.
# Regenerate: python -m pytest_orchestrator.schema
SCHEMA_SHA256 = "abb0c3ee25f015ddaf5a2e5a8f9df1b005c65c51b0109c4257c72d5d21bc6373"
VERSION = "2.22.3"
from decimal import Decimal
import re
from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException


REGEX_PATTERNS = {
    '^[A-Za-z0-9][A-Za-z0-9_.-]*$': re.compile('^[A-Za-z0-9][A-Za-z0-9_.-]*\\Z'),
    '^[A-Za-z_][A-Za-z0-9_]*$': re.compile('^[A-Za-z_][A-Za-z0-9_]*\\Z'),
    '^(isolated|shared:[A-Za-z0-9_.-]+)$': re.compile('^(isolated|shared:[A-Za-z0-9_.-]+)\\Z'),
    '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$': re.compile('^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*\\Z')
}

NoneType = type(None)

def validate_https___pytest_orchestrator_invalid_recipe_schema_json(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'https://json-schema.org/draft/2020-12/schema', '$id': 'https://pytest-orchestrator.invalid/recipe.schema.json', 'title': 'pytest-orchestrator recipe', 'description': 'A YAML recipe: test_meta plus a list of steps, each running one scriptlet.', 'type': 'object', 'required': ['test_meta', 'steps'], 'additionalProperties': False, 'properties': {'test_meta': {'type': 'object', 'required': ['test_id'], 'additionalProperties': False, 'properties': {'test_id': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': "Unique per project; the recipe's identity in history."}, 'tester': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}}}, 'parametrize': {'type': 'object', 'description': 'Run the whole recipe once per row; values usable as ${param:NAME}.', 'propertyNames': {'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'additionalProperties': {'type': 'array', 'minItems': 1, 'items': {'type': ['string', 'number', 'boolean']}}}, 'defaults': {'description': 'Values for any step field except name and idx.', 'allOf': [{'type': 'object', 'properties': {'idx': {'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, 'name': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}, 'type': {'enum': ['python', 'shell', 'exec']}, 'module': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, 'function': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'script': {'type': 'string', 'minLength': 1}, 'cmd': {'type': 'string', 'minLength': 1}, 'args': {'type': ['object', 'array']}, 'depends_on': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}}, 'parallel': {'type': 'boolean'}, 'requires_process': {'type': 'boolean'}, 'timeout': {'type': 'number', 'exclusiveMinimum': 0}, 'retry': {'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, 'cache_key': {'type': 'string', 'minLength': 1}, 'xfail': {'type': ['string', 'boolean']}, 'finally': {'type': 'boolean'}, 'exclusive': {'type': 'boolean'}, 'markers': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/marker'}}, 'success': {'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}}, 'additionalProperties': False}, {'not': {'anyOf': [{'required': ['name']}, {'required': ['idx']}]}}]}, 'context': {'type': 'string', 'pattern': '^(isolated|shared:[A-Za-z0-9_.-]+)$', 'description': 'isolated (default) or shared:<namespace>'}, 'conflict': {'enum': ['fail_on_conflict', 'last_write_wins']}, 'steps': {'type': 'array', 'minItems': 1, 'items': {'allOf': [{'$ref': '#/$defs/stepFields'}, {'required': ['name']}]}}}, '$defs': {'marker': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'stepName': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'stepFields': {'type': 'object', 'properties': {'idx': {'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, 'name': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'type': {'enum': ['python', 'shell', 'exec']}, 'module': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, 'function': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'script': {'type': 'string', 'minLength': 1}, 'cmd': {'type': 'string', 'minLength': 1}, 'args': {'type': ['object', 'array']}, 'depends_on': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'parallel': {'type': 'boolean'}, 'requires_process': {'type': 'boolean'}, 'timeout': {'type': 'number', 'exclusiveMinimum': 0}, 'retry': {'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, 'cache_key': {'type': 'string', 'minLength': 1}, 'xfail': {'type': ['string', 'boolean']}, 'finally': {'type': 'boolean'}, 'exclusive': {'type': 'boolean'}, 'markers': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'success': {'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}}, 'additionalProperties': False}, 'step': {'allOf': [{'type': 'object', 'properties': {'idx': {'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, 'name': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}, 'type': {'enum': ['python', 'shell', 'exec']}, 'module': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, 'function': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'script': {'type': 'string', 'minLength': 1}, 'cmd': {'type': 'string', 'minLength': 1}, 'args': {'type': ['object', 'array']}, 'depends_on': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}}, 'parallel': {'type': 'boolean'}, 'requires_process': {'type': 'boolean'}, 'timeout': {'type': 'number', 'exclusiveMinimum': 0}, 'retry': {'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, 'cache_key': {'type': 'string', 'minLength': 1}, 'xfail': {'type': ['string', 'boolean']}, 'finally': {'type': 'boolean'}, 'exclusive': {'type': 'boolean'}, 'markers': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/marker'}}, 'success': {'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}}, 'additionalProperties': False}, {'required': ['name']}]}}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['test_meta', 'steps']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'https://json-schema.org/draft/2020-12/schema', '$id': 'https://pytest-orchestrator.invalid/recipe.schema.json', 'title': 'pytest-orchestrator recipe', 'description': 'A YAML recipe: test_meta plus a list of steps, each running one scriptlet.', 'type': 'object', 'required': ['test_meta', 'steps'], 'additionalProperties': False, 'properties': {'test_meta': {'type': 'object', 'required': ['test_id'], 'additionalProperties': False, 'properties': {'test_id': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': "Unique per project; the recipe's identity in history."}, 'tester': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}}}, 'parametrize': {'type': 'object', 'description': 'Run the whole recipe once per row; values usable as ${param:NAME}.', 'propertyNames': {'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'additionalProperties': {'type': 'array', 'minItems': 1, 'items': {'type': ['string', 'number', 'boolean']}}}, 'defaults': {'description': 'Values for any step field except name and idx.', 'allOf': [{'type': 'object', 'properties': {'idx': {'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, 'name': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}, 'type': {'enum': ['python', 'shell', 'exec']}, 'module': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, 'function': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'script': {'type': 'string', 'minLength': 1}, 'cmd': {'type': 'string', 'minLength': 1}, 'args': {'type': ['object', 'array']}, 'depends_on': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}}, 'parallel': {'type': 'boolean'}, 'requires_process': {'type': 'boolean'}, 'timeout': {'type': 'number', 'exclusiveMinimum': 0}, 'retry': {'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, 'cache_key': {'type': 'string', 'minLength': 1}, 'xfail': {'type': ['string', 'boolean']}, 'finally': {'type': 'boolean'}, 'exclusive': {'type': 'boolean'}, 'markers': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/marker'}}, 'success': {'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}}, 'additionalProperties': False}, {'not': {'anyOf': [{'required': ['name']}, {'required': ['idx']}]}}]}, 'context': {'type': 'string', 'pattern': '^(isolated|shared:[A-Za-z0-9_.-]+)$', 'description': 'isolated (default) or shared:<namespace>'}, 'conflict': {'enum': ['fail_on_conflict', 'last_write_wins']}, 'steps': {'type': 'array', 'minItems': 1, 'items': {'allOf': [{'$ref': '#/$defs/stepFields'}, {'required': ['name']}]}}}, '$defs': {'marker': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'stepName': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'stepFields': {'type': 'object', 'properties': {'idx': {'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, 'name': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'type': {'enum': ['python', 'shell', 'exec']}, 'module': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, 'function': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'script': {'type': 'string', 'minLength': 1}, 'cmd': {'type': 'string', 'minLength': 1}, 'args': {'type': ['object', 'array']}, 'depends_on': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'parallel': {'type': 'boolean'}, 'requires_process': {'type': 'boolean'}, 'timeout': {'type': 'number', 'exclusiveMinimum': 0}, 'retry': {'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, 'cache_key': {'type': 'string', 'minLength': 1}, 'xfail': {'type': ['string', 'boolean']}, 'finally': {'type': 'boolean'}, 'exclusive': {'type': 'boolean'}, 'markers': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'success': {'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}}, 'additionalProperties': False}, 'step': {'allOf': [{'type': 'object', 'properties': {'idx': {'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, 'name': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}, 'type': {'enum': ['python', 'shell', 'exec']}, 'module': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, 'function': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'script': {'type': 'string', 'minLength': 1}, 'cmd': {'type': 'string', 'minLength': 1}, 'args': {'type': ['object', 'array']}, 'depends_on': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}}, 'parallel': {'type': 'boolean'}, 'requires_process': {'type': 'boolean'}, 'timeout': {'type': 'number', 'exclusiveMinimum': 0}, 'retry': {'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, 'cache_key': {'type': 'string', 'minLength': 1}, 'xfail': {'type': ['string', 'boolean']}, 'finally': {'type': 'boolean'}, 'exclusive': {'type': 'boolean'}, 'markers': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/marker'}}, 'success': {'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}}, 'additionalProperties': False}, {'required': ['name']}]}}}, rule='required')
        data_keys = set(data.keys())
        if "test_meta" in data_keys:
            data_keys.remove("test_meta")
            data__testmeta = data["test_meta"]
            if not isinstance(data__testmeta, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".test_meta must be object", value=data__testmeta, name="" + (name_prefix or "data") + ".test_meta", definition={'type': 'object', 'required': ['test_id'], 'additionalProperties': False, 'properties': {'test_id': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': "Unique per project; the recipe's identity in history."}, 'tester': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}}}, rule='type')
            data__testmeta_is_dict = isinstance(data__testmeta, dict)
            if data__testmeta_is_dict:
                data__testmeta__missing_keys = set(['test_id']) - data__testmeta.keys()
                if data__testmeta__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".test_meta must contain " + (str(sorted(data__testmeta__missing_keys)) + " properties"), value=data__testmeta, name="" + (name_prefix or "data") + ".test_meta", definition={'type': 'object', 'required': ['test_id'], 'additionalProperties': False, 'properties': {'test_id': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': "Unique per project; the recipe's identity in history."}, 'tester': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}}}, rule='required')
                data__testmeta_keys = set(data__testmeta.keys())
                if "test_id" in data__testmeta_keys:
                    data__testmeta_keys.remove("test_id")
                    data__testmeta__testid = data__testmeta["test_id"]
                    if not isinstance(data__testmeta__testid, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".test_meta.test_id must be string", value=data__testmeta__testid, name="" + (name_prefix or "data") + ".test_meta.test_id", definition={'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': "Unique per project; the recipe's identity in history."}, rule='type')
                    if isinstance(data__testmeta__testid, str):
                        if not REGEX_PATTERNS['^[A-Za-z0-9][A-Za-z0-9_.-]*$'].search(data__testmeta__testid):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".test_meta.test_id must match pattern ^[A-Za-z0-9][A-Za-z0-9_.-]*$", value=data__testmeta__testid, name="" + (name_prefix or "data") + ".test_meta.test_id", definition={'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': "Unique per project; the recipe's identity in history."}, rule='pattern')
                if "tester" in data__testmeta_keys:
                    data__testmeta_keys.remove("tester")
                    data__testmeta__tester = data__testmeta["tester"]
                    if not isinstance(data__testmeta__tester, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".test_meta.tester must be string", value=data__testmeta__tester, name="" + (name_prefix or "data") + ".test_meta.tester", definition={'type': 'string'}, rule='type')
                if "description" in data__testmeta_keys:
                    data__testmeta_keys.remove("description")
                    data__testmeta__description = data__testmeta["description"]
                    if not isinstance(data__testmeta__description, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".test_meta.description must be string", value=data__testmeta__description, name="" + (name_prefix or "data") + ".test_meta.description", definition={'type': 'string'}, rule='type')
                if "tags" in data__testmeta_keys:
                    data__testmeta_keys.remove("tags")
                    data__testmeta__tags = data__testmeta["tags"]
                    if not isinstance(data__testmeta__tags, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".test_meta.tags must be array", value=data__testmeta__tags, name="" + (name_prefix or "data") + ".test_meta.tags", definition={'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, rule='type')
                    data__testmeta__tags_is_list = isinstance(data__testmeta__tags, (list, tuple))
                    if data__testmeta__tags_is_list:
                        data__testmeta__tags_len = len(data__testmeta__tags)
                        for data__testmeta__tags_x, data__testmeta__tags_item in enumerate(data__testmeta__tags):
                            validate_https___pytest_orchestrator_invalid_recipe_schema_json___defs_marker(data__testmeta__tags_item, custom_formats, (name_prefix or "data") + ".test_meta.tags[{data__testmeta__tags_x}]".format(**locals()))
                if data__testmeta_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".test_meta must not contain "+str(data__testmeta_keys)+" properties", value=data__testmeta, name="" + (name_prefix or "data") + ".test_meta", definition={'type': 'object', 'required': ['test_id'], 'additionalProperties': False, 'properties': {'test_id': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': "Unique per project; the recipe's identity in history."}, 'tester': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}}}, rule='additionalProperties')
        if "parametrize" in data_keys:
            data_keys.remove("parametrize")
            data__parametrize = data["parametrize"]
            if not isinstance(data__parametrize, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".parametrize must be object", value=data__parametrize, name="" + (name_prefix or "data") + ".parametrize", definition={'type': 'object', 'description': 'Run the whole recipe once per row; values usable as ${param:NAME}.', 'propertyNames': {'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'additionalProperties': {'type': 'array', 'minItems': 1, 'items': {'type': ['string', 'number', 'boolean']}}}, rule='type')
            data__parametrize_is_dict = isinstance(data__parametrize, dict)
            if data__parametrize_is_dict:
                data__parametrize_keys = set(data__parametrize.keys())
                for data__parametrize_key in data__parametrize_keys:
                    if data__parametrize_key not in []:
                        data__parametrize_value = data__parametrize.get(data__parametrize_key)
                        if not isinstance(data__parametrize_value, (list, tuple)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".parametrize.{data__parametrize_key}".format(**locals()) + " must be array", value=data__parametrize_value, name="" + (name_prefix or "data") + ".parametrize.{data__parametrize_key}".format(**locals()) + "", definition={'type': 'array', 'minItems': 1, 'items': {'type': ['string', 'number', 'boolean']}}, rule='type')
                        data__parametrize_value_is_list = isinstance(data__parametrize_value, (list, tuple))
                        if data__parametrize_value_is_list:
                            data__parametrize_value_len = len(data__parametrize_value)
                            if data__parametrize_value_len < 1:
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".parametrize.{data__parametrize_key}".format(**locals()) + " must contain at least 1 items", value=data__parametrize_value, name="" + (name_prefix or "data") + ".parametrize.{data__parametrize_key}".format(**locals()) + "", definition={'type': 'array', 'minItems': 1, 'items': {'type': ['string', 'number', 'boolean']}}, rule='minItems')
                            for data__parametrize_value_x, data__parametrize_value_item in enumerate(data__parametrize_value):
                                if not isinstance(data__parametrize_value_item, (str, int, float, Decimal, bool)):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".parametrize.{data__parametrize_key}[{data__parametrize_value_x}]".format(**locals()) + " must be string or number or boolean", value=data__parametrize_value_item, name="" + (name_prefix or "data") + ".parametrize.{data__parametrize_key}[{data__parametrize_value_x}]".format(**locals()) + "", definition={'type': ['string', 'number', 'boolean']}, rule='type')
                data__parametrize_len = len(data__parametrize)
                if data__parametrize_len != 0:
                    data__parametrize_property_names = True
                    for data__parametrize_key in data__parametrize:
                        try:
                            if isinstance(data__parametrize_key, str):
                                if not REGEX_PATTERNS['^[A-Za-z_][A-Za-z0-9_]*$'].search(data__parametrize_key):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".parametrize must match pattern ^[A-Za-z_][A-Za-z0-9_]*$", value=data__parametrize_key, name="" + (name_prefix or "data") + ".parametrize", definition={'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, rule='pattern')
                        except (JsonSchemaValueException, JsonSchemaValuesException):
                            data__parametrize_property_names = False
                    if not data__parametrize_property_names:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".parametrize must be named by propertyName definition", value=data__parametrize, name="" + (name_prefix or "data") + ".parametrize", definition={'type': 'object', 'description': 'Run the whole recipe once per row; values usable as ${param:NAME}.', 'propertyNames': {'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'additionalProperties': {'type': 'array', 'minItems': 1, 'items': {'type': ['string', 'number', 'boolean']}}}, rule='propertyNames')
        if "defaults" in data_keys:
            data_keys.remove("defaults")
            data__defaults = data["defaults"]
            validate_https___pytest_orchestrator_invalid_recipe_schema_json___defs_stepfields(data__defaults, custom_formats, (name_prefix or "data") + ".defaults")
            try:
                data__defaults_any_of_count1 = 0
                if not data__defaults_any_of_count1:
                    try:
                        data__defaults_is_dict = isinstance(data__defaults, dict)
                        if data__defaults_is_dict:
                            data__defaults__missing_keys = set(['name']) - data__defaults.keys()
                            if data__defaults__missing_keys:
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".defaults must contain " + (str(sorted(data__defaults__missing_keys)) + " properties"), value=data__defaults, name="" + (name_prefix or "data") + ".defaults", definition={'required': ['name']}, rule='required')
                        data__defaults_any_of_count1 += 1
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                if not data__defaults_any_of_count1:
                    try:
                        data__defaults_is_dict = isinstance(data__defaults, dict)
                        if data__defaults_is_dict:
                            data__defaults__missing_keys = set(['idx']) - data__defaults.keys()
                            if data__defaults__missing_keys:
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".defaults must contain " + (str(sorted(data__defaults__missing_keys)) + " properties"), value=data__defaults, name="" + (name_prefix or "data") + ".defaults", definition={'required': ['idx']}, rule='required')
                        data__defaults_any_of_count1 += 1
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                if not data__defaults_any_of_count1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".defaults cannot be validated by any definition", value=data__defaults, name="" + (name_prefix or "data") + ".defaults", definition={'anyOf': [{'required': ['name']}, {'required': ['idx']}]}, rule='anyOf')
            except (JsonSchemaValueException, JsonSchemaValuesException): pass
            else:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".defaults must NOT match a disallowed definition", value=data__defaults, name="" + (name_prefix or "data") + ".defaults", definition={'not': {'anyOf': [{'required': ['name']}, {'required': ['idx']}]}}, rule='not')
        if "context" in data_keys:
            data_keys.remove("context")
            data__context = data["context"]
            if not isinstance(data__context, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".context must be string", value=data__context, name="" + (name_prefix or "data") + ".context", definition={'type': 'string', 'pattern': '^(isolated|shared:[A-Za-z0-9_.-]+)$', 'description': 'isolated (default) or shared:<namespace>'}, rule='type')
            if isinstance(data__context, str):
                if not REGEX_PATTERNS['^(isolated|shared:[A-Za-z0-9_.-]+)$'].search(data__context):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".context must match pattern ^(isolated|shared:[A-Za-z0-9_.-]+)$", value=data__context, name="" + (name_prefix or "data") + ".context", definition={'type': 'string', 'pattern': '^(isolated|shared:[A-Za-z0-9_.-]+)$', 'description': 'isolated (default) or shared:<namespace>'}, rule='pattern')
        if "conflict" in data_keys:
            data_keys.remove("conflict")
            data__conflict = data["conflict"]
            if not (isinstance(data__conflict, str) and data__conflict == 'fail_on_conflict' or isinstance(data__conflict, str) and data__conflict == 'last_write_wins'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".conflict must be one of ['fail_on_conflict', 'last_write_wins']", value=data__conflict, name="" + (name_prefix or "data") + ".conflict", definition={'enum': ['fail_on_conflict', 'last_write_wins']}, rule='enum')
        if "steps" in data_keys:
            data_keys.remove("steps")
            data__steps = data["steps"]
            if not isinstance(data__steps, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".steps must be array", value=data__steps, name="" + (name_prefix or "data") + ".steps", definition={'type': 'array', 'minItems': 1, 'items': {'allOf': [{'$ref': '#/$defs/stepFields'}, {'required': ['name']}]}}, rule='type')
            data__steps_is_list = isinstance(data__steps, (list, tuple))
            if data__steps_is_list:
                data__steps_len = len(data__steps)
                if data__steps_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".steps must contain at least 1 items", value=data__steps, name="" + (name_prefix or "data") + ".steps", definition={'type': 'array', 'minItems': 1, 'items': {'allOf': [{'$ref': '#/$defs/stepFields'}, {'required': ['name']}]}}, rule='minItems')
                for data__steps_x, data__steps_item in enumerate(data__steps):
                    validate_https___pytest_orchestrator_invalid_recipe_schema_json___defs_step(data__steps_item, custom_formats, (name_prefix or "data") + ".steps[{data__steps_x}]".format(**locals()))
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'$schema': 'https://json-schema.org/draft/2020-12/schema', '$id': 'https://pytest-orchestrator.invalid/recipe.schema.json', 'title': 'pytest-orchestrator recipe', 'description': 'A YAML recipe: test_meta plus a list of steps, each running one scriptlet.', 'type': 'object', 'required': ['test_meta', 'steps'], 'additionalProperties': False, 'properties': {'test_meta': {'type': 'object', 'required': ['test_id'], 'additionalProperties': False, 'properties': {'test_id': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': "Unique per project; the recipe's identity in history."}, 'tester': {'type': 'string'}, 'description': {'type': 'string'}, 'tags': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}}}, 'parametrize': {'type': 'object', 'description': 'Run the whole recipe once per row; values usable as ${param:NAME}.', 'propertyNames': {'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'additionalProperties': {'type': 'array', 'minItems': 1, 'items': {'type': ['string', 'number', 'boolean']}}}, 'defaults': {'description': 'Values for any step field except name and idx.', 'allOf': [{'type': 'object', 'properties': {'idx': {'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, 'name': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}, 'type': {'enum': ['python', 'shell', 'exec']}, 'module': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, 'function': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'script': {'type': 'string', 'minLength': 1}, 'cmd': {'type': 'string', 'minLength': 1}, 'args': {'type': ['object', 'array']}, 'depends_on': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}}, 'parallel': {'type': 'boolean'}, 'requires_process': {'type': 'boolean'}, 'timeout': {'type': 'number', 'exclusiveMinimum': 0}, 'retry': {'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, 'cache_key': {'type': 'string', 'minLength': 1}, 'xfail': {'type': ['string', 'boolean']}, 'finally': {'type': 'boolean'}, 'exclusive': {'type': 'boolean'}, 'markers': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/marker'}}, 'success': {'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}}, 'additionalProperties': False}, {'not': {'anyOf': [{'required': ['name']}, {'required': ['idx']}]}}]}, 'context': {'type': 'string', 'pattern': '^(isolated|shared:[A-Za-z0-9_.-]+)$', 'description': 'isolated (default) or shared:<namespace>'}, 'conflict': {'enum': ['fail_on_conflict', 'last_write_wins']}, 'steps': {'type': 'array', 'minItems': 1, 'items': {'allOf': [{'$ref': '#/$defs/stepFields'}, {'required': ['name']}]}}}, '$defs': {'marker': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'stepName': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'stepFields': {'type': 'object', 'properties': {'idx': {'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, 'name': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'type': {'enum': ['python', 'shell', 'exec']}, 'module': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, 'function': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'script': {'type': 'string', 'minLength': 1}, 'cmd': {'type': 'string', 'minLength': 1}, 'args': {'type': ['object', 'array']}, 'depends_on': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'parallel': {'type': 'boolean'}, 'requires_process': {'type': 'boolean'}, 'timeout': {'type': 'number', 'exclusiveMinimum': 0}, 'retry': {'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, 'cache_key': {'type': 'string', 'minLength': 1}, 'xfail': {'type': ['string', 'boolean']}, 'finally': {'type': 'boolean'}, 'exclusive': {'type': 'boolean'}, 'markers': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'success': {'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}}, 'additionalProperties': False}, 'step': {'allOf': [{'type': 'object', 'properties': {'idx': {'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, 'name': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}, 'type': {'enum': ['python', 'shell', 'exec']}, 'module': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, 'function': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'script': {'type': 'string', 'minLength': 1}, 'cmd': {'type': 'string', 'minLength': 1}, 'args': {'type': ['object', 'array']}, 'depends_on': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/stepName'}}, 'parallel': {'type': 'boolean'}, 'requires_process': {'type': 'boolean'}, 'timeout': {'type': 'number', 'exclusiveMinimum': 0}, 'retry': {'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, 'cache_key': {'type': 'string', 'minLength': 1}, 'xfail': {'type': ['string', 'boolean']}, 'finally': {'type': 'boolean'}, 'exclusive': {'type': 'boolean'}, 'markers': {'type': 'array', 'items': {'$ref': 'https://pytest-orchestrator.invalid/recipe.schema.json#/$defs/marker'}}, 'success': {'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}}, 'additionalProperties': False}, {'required': ['name']}]}}}, rule='additionalProperties')
    return data

def validate_https___pytest_orchestrator_invalid_recipe_schema_json___defs_step(data, custom_formats={}, name_prefix=None):
    validate_https___pytest_orchestrator_invalid_recipe_schema_json___defs_stepfields(data, custom_formats, (name_prefix or "data") + "")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['name']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'required': ['name']}, rule='required')
    return data

def validate_https___pytest_orchestrator_invalid_recipe_schema_json___defs_stepfields(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'properties': {'idx': {'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, 'name': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'type': {'enum': ['python', 'shell', 'exec']}, 'module': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, 'function': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'script': {'type': 'string', 'minLength': 1}, 'cmd': {'type': 'string', 'minLength': 1}, 'args': {'type': ['object', 'array']}, 'depends_on': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'parallel': {'type': 'boolean'}, 'requires_process': {'type': 'boolean'}, 'timeout': {'type': 'number', 'exclusiveMinimum': 0}, 'retry': {'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, 'cache_key': {'type': 'string', 'minLength': 1}, 'xfail': {'type': ['string', 'boolean']}, 'finally': {'type': 'boolean'}, 'exclusive': {'type': 'boolean'}, 'markers': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'success': {'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}}, 'additionalProperties': False}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "idx" in data_keys:
            data_keys.remove("idx")
            data__idx = data["idx"]
            if not isinstance(data__idx, (int)) and not (isinstance(data__idx, float) and data__idx.is_integer()) or isinstance(data__idx, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".idx must be integer", value=data__idx, name="" + (name_prefix or "data") + ".idx", definition={'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, rule='type')
        if "name" in data_keys:
            data_keys.remove("name")
            data__name = data["name"]
            validate_https___pytest_orchestrator_invalid_recipe_schema_json___defs_stepname(data__name, custom_formats, (name_prefix or "data") + ".name")
        if "type" in data_keys:
            data_keys.remove("type")
            data__type = data["type"]
            if not (isinstance(data__type, str) and data__type == 'python' or isinstance(data__type, str) and data__type == 'shell' or isinstance(data__type, str) and data__type == 'exec'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".type must be one of ['python', 'shell', 'exec']", value=data__type, name="" + (name_prefix or "data") + ".type", definition={'enum': ['python', 'shell', 'exec']}, rule='enum')
        if "module" in data_keys:
            data_keys.remove("module")
            data__module = data["module"]
            if not isinstance(data__module, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".module must be string", value=data__module, name="" + (name_prefix or "data") + ".module", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, rule='type')
            if isinstance(data__module, str):
                if not REGEX_PATTERNS['^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'].search(data__module):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".module must match pattern ^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$", value=data__module, name="" + (name_prefix or "data") + ".module", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, rule='pattern')
        if "function" in data_keys:
            data_keys.remove("function")
            data__function = data["function"]
            if not isinstance(data__function, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".function must be string", value=data__function, name="" + (name_prefix or "data") + ".function", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, rule='type')
            if isinstance(data__function, str):
                if not REGEX_PATTERNS['^[A-Za-z_][A-Za-z0-9_]*$'].search(data__function):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".function must match pattern ^[A-Za-z_][A-Za-z0-9_]*$", value=data__function, name="" + (name_prefix or "data") + ".function", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, rule='pattern')
        if "script" in data_keys:
            data_keys.remove("script")
            data__script = data["script"]
            if not isinstance(data__script, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".script must be string", value=data__script, name="" + (name_prefix or "data") + ".script", definition={'type': 'string', 'minLength': 1}, rule='type')
            if isinstance(data__script, str):
                data__script_len = len(data__script)
                if data__script_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".script must be longer than or equal to 1 characters", value=data__script, name="" + (name_prefix or "data") + ".script", definition={'type': 'string', 'minLength': 1}, rule='minLength')
        if "cmd" in data_keys:
            data_keys.remove("cmd")
            data__cmd = data["cmd"]
            if not isinstance(data__cmd, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".cmd must be string", value=data__cmd, name="" + (name_prefix or "data") + ".cmd", definition={'type': 'string', 'minLength': 1}, rule='type')
            if isinstance(data__cmd, str):
                data__cmd_len = len(data__cmd)
                if data__cmd_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".cmd must be longer than or equal to 1 characters", value=data__cmd, name="" + (name_prefix or "data") + ".cmd", definition={'type': 'string', 'minLength': 1}, rule='minLength')
        if "args" in data_keys:
            data_keys.remove("args")
            data__args = data["args"]
            if not isinstance(data__args, (dict, list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".args must be object or array", value=data__args, name="" + (name_prefix or "data") + ".args", definition={'type': ['object', 'array']}, rule='type')
        if "depends_on" in data_keys:
            data_keys.remove("depends_on")
            data__dependson = data["depends_on"]
            if not isinstance(data__dependson, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".depends_on must be array", value=data__dependson, name="" + (name_prefix or "data") + ".depends_on", definition={'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, rule='type')
            data__dependson_is_list = isinstance(data__dependson, (list, tuple))
            if data__dependson_is_list:
                data__dependson_len = len(data__dependson)
                for data__dependson_x, data__dependson_item in enumerate(data__dependson):
                    validate_https___pytest_orchestrator_invalid_recipe_schema_json___defs_stepname(data__dependson_item, custom_formats, (name_prefix or "data") + ".depends_on[{data__dependson_x}]".format(**locals()))
        if "parallel" in data_keys:
            data_keys.remove("parallel")
            data__parallel = data["parallel"]
            if not isinstance(data__parallel, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".parallel must be boolean", value=data__parallel, name="" + (name_prefix or "data") + ".parallel", definition={'type': 'boolean'}, rule='type')
        if "requires_process" in data_keys:
            data_keys.remove("requires_process")
            data__requiresprocess = data["requires_process"]
            if not isinstance(data__requiresprocess, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".requires_process must be boolean", value=data__requiresprocess, name="" + (name_prefix or "data") + ".requires_process", definition={'type': 'boolean'}, rule='type')
        if "timeout" in data_keys:
            data_keys.remove("timeout")
            data__timeout = data["timeout"]
            if not isinstance(data__timeout, (int, float, Decimal)) or isinstance(data__timeout, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".timeout must be number", value=data__timeout, name="" + (name_prefix or "data") + ".timeout", definition={'type': 'number', 'exclusiveMinimum': 0}, rule='type')
            if isinstance(data__timeout, (int, float, Decimal)) and not isinstance(data__timeout, bool):
                if data__timeout <= 0:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".timeout must be bigger than 0", value=data__timeout, name="" + (name_prefix or "data") + ".timeout", definition={'type': 'number', 'exclusiveMinimum': 0}, rule='exclusiveMinimum')
        if "retry" in data_keys:
            data_keys.remove("retry")
            data__retry = data["retry"]
            if not isinstance(data__retry, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".retry must be object", value=data__retry, name="" + (name_prefix or "data") + ".retry", definition={'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, rule='type')
            data__retry_is_dict = isinstance(data__retry, dict)
            if data__retry_is_dict:
                data__retry__missing_keys = set(['max']) - data__retry.keys()
                if data__retry__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".retry must contain " + (str(sorted(data__retry__missing_keys)) + " properties"), value=data__retry, name="" + (name_prefix or "data") + ".retry", definition={'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, rule='required')
                data__retry_keys = set(data__retry.keys())
                if "max" in data__retry_keys:
                    data__retry_keys.remove("max")
                    data__retry__max = data__retry["max"]
                    if not isinstance(data__retry__max, (int)) and not (isinstance(data__retry__max, float) and data__retry__max.is_integer()) or isinstance(data__retry__max, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".retry.max must be integer", value=data__retry__max, name="" + (name_prefix or "data") + ".retry.max", definition={'type': 'integer', 'minimum': 0}, rule='type')
                    if isinstance(data__retry__max, (int, float, Decimal)) and not isinstance(data__retry__max, bool):
                        if data__retry__max < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".retry.max must be bigger than or equal to 0", value=data__retry__max, name="" + (name_prefix or "data") + ".retry.max", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                if "delay_sec" in data__retry_keys:
                    data__retry_keys.remove("delay_sec")
                    data__retry__delaysec = data__retry["delay_sec"]
                    if not isinstance(data__retry__delaysec, (int, float, Decimal)) or isinstance(data__retry__delaysec, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".retry.delay_sec must be number", value=data__retry__delaysec, name="" + (name_prefix or "data") + ".retry.delay_sec", definition={'type': 'number', 'minimum': 0}, rule='type')
                    if isinstance(data__retry__delaysec, (int, float, Decimal)) and not isinstance(data__retry__delaysec, bool):
                        if data__retry__delaysec < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".retry.delay_sec must be bigger than or equal to 0", value=data__retry__delaysec, name="" + (name_prefix or "data") + ".retry.delay_sec", definition={'type': 'number', 'minimum': 0}, rule='minimum')
                if "backoff" in data__retry_keys:
                    data__retry_keys.remove("backoff")
                    data__retry__backoff = data__retry["backoff"]
                    if not isinstance(data__retry__backoff, (int, float, Decimal)) or isinstance(data__retry__backoff, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".retry.backoff must be number", value=data__retry__backoff, name="" + (name_prefix or "data") + ".retry.backoff", definition={'type': 'number', 'minimum': 1}, rule='type')
                    if isinstance(data__retry__backoff, (int, float, Decimal)) and not isinstance(data__retry__backoff, bool):
                        if data__retry__backoff < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".retry.backoff must be bigger than or equal to 1", value=data__retry__backoff, name="" + (name_prefix or "data") + ".retry.backoff", definition={'type': 'number', 'minimum': 1}, rule='minimum')
                if data__retry_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".retry must not contain "+str(data__retry_keys)+" properties", value=data__retry, name="" + (name_prefix or "data") + ".retry", definition={'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, rule='additionalProperties')
        if "cache_key" in data_keys:
            data_keys.remove("cache_key")
            data__cachekey = data["cache_key"]
            if not isinstance(data__cachekey, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".cache_key must be string", value=data__cachekey, name="" + (name_prefix or "data") + ".cache_key", definition={'type': 'string', 'minLength': 1}, rule='type')
            if isinstance(data__cachekey, str):
                data__cachekey_len = len(data__cachekey)
                if data__cachekey_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".cache_key must be longer than or equal to 1 characters", value=data__cachekey, name="" + (name_prefix or "data") + ".cache_key", definition={'type': 'string', 'minLength': 1}, rule='minLength')
        if "xfail" in data_keys:
            data_keys.remove("xfail")
            data__xfail = data["xfail"]
            if not isinstance(data__xfail, (str, bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".xfail must be string or boolean", value=data__xfail, name="" + (name_prefix or "data") + ".xfail", definition={'type': ['string', 'boolean']}, rule='type')
        if "finally" in data_keys:
            data_keys.remove("finally")
            data__finally = data["finally"]
            if not isinstance(data__finally, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".finally must be boolean", value=data__finally, name="" + (name_prefix or "data") + ".finally", definition={'type': 'boolean'}, rule='type')
        if "exclusive" in data_keys:
            data_keys.remove("exclusive")
            data__exclusive = data["exclusive"]
            if not isinstance(data__exclusive, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclusive must be boolean", value=data__exclusive, name="" + (name_prefix or "data") + ".exclusive", definition={'type': 'boolean'}, rule='type')
        if "markers" in data_keys:
            data_keys.remove("markers")
            data__markers = data["markers"]
            if not isinstance(data__markers, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".markers must be array", value=data__markers, name="" + (name_prefix or "data") + ".markers", definition={'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, rule='type')
            data__markers_is_list = isinstance(data__markers, (list, tuple))
            if data__markers_is_list:
                data__markers_len = len(data__markers)
                for data__markers_x, data__markers_item in enumerate(data__markers):
                    validate_https___pytest_orchestrator_invalid_recipe_schema_json___defs_marker(data__markers_item, custom_formats, (name_prefix or "data") + ".markers[{data__markers_x}]".format(**locals()))
        if "success" in data_keys:
            data_keys.remove("success")
            data__success = data["success"]
            if not isinstance(data__success, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".success must be object", value=data__success, name="" + (name_prefix or "data") + ".success", definition={'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}, rule='type')
            data__success_is_dict = isinstance(data__success, dict)
            if data__success_is_dict:
                data__success_keys = set(data__success.keys())
                if "ctx_has_keys" in data__success_keys:
                    data__success_keys.remove("ctx_has_keys")
                    data__success__ctxhaskeys = data__success["ctx_has_keys"]
                    if not isinstance(data__success__ctxhaskeys, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".success.ctx_has_keys must be array", value=data__success__ctxhaskeys, name="" + (name_prefix or "data") + ".success.ctx_has_keys", definition={'type': 'array', 'items': {'type': 'string'}}, rule='type')
                    data__success__ctxhaskeys_is_list = isinstance(data__success__ctxhaskeys, (list, tuple))
                    if data__success__ctxhaskeys_is_list:
                        data__success__ctxhaskeys_len = len(data__success__ctxhaskeys)
                        for data__success__ctxhaskeys_x, data__success__ctxhaskeys_item in enumerate(data__success__ctxhaskeys):
                            if not isinstance(data__success__ctxhaskeys_item, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".success.ctx_has_keys[{data__success__ctxhaskeys_x}]".format(**locals()) + " must be string", value=data__success__ctxhaskeys_item, name="" + (name_prefix or "data") + ".success.ctx_has_keys[{data__success__ctxhaskeys_x}]".format(**locals()) + "", definition={'type': 'string'}, rule='type')
                if "files_exist" in data__success_keys:
                    data__success_keys.remove("files_exist")
                    data__success__filesexist = data__success["files_exist"]
                    if not isinstance(data__success__filesexist, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".success.files_exist must be array", value=data__success__filesexist, name="" + (name_prefix or "data") + ".success.files_exist", definition={'type': 'array', 'items': {'type': 'string'}}, rule='type')
                    data__success__filesexist_is_list = isinstance(data__success__filesexist, (list, tuple))
                    if data__success__filesexist_is_list:
                        data__success__filesexist_len = len(data__success__filesexist)
                        for data__success__filesexist_x, data__success__filesexist_item in enumerate(data__success__filesexist):
                            if not isinstance(data__success__filesexist_item, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".success.files_exist[{data__success__filesexist_x}]".format(**locals()) + " must be string", value=data__success__filesexist_item, name="" + (name_prefix or "data") + ".success.files_exist[{data__success__filesexist_x}]".format(**locals()) + "", definition={'type': 'string'}, rule='type')
                if "ctx_schema" in data__success_keys:
                    data__success_keys.remove("ctx_schema")
                    data__success__ctxschema = data__success["ctx_schema"]
                    if not isinstance(data__success__ctxschema, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".success.ctx_schema must be object", value=data__success__ctxschema, name="" + (name_prefix or "data") + ".success.ctx_schema", definition={'type': 'object', 'additionalProperties': {'type': 'object'}}, rule='type')
                    data__success__ctxschema_is_dict = isinstance(data__success__ctxschema, dict)
                    if data__success__ctxschema_is_dict:
                        data__success__ctxschema_keys = set(data__success__ctxschema.keys())
                        for data__success__ctxschema_key in data__success__ctxschema_keys:
                            if data__success__ctxschema_key not in []:
                                data__success__ctxschema_value = data__success__ctxschema.get(data__success__ctxschema_key)
                                if not isinstance(data__success__ctxschema_value, (dict)):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".success.ctx_schema.{data__success__ctxschema_key}".format(**locals()) + " must be object", value=data__success__ctxschema_value, name="" + (name_prefix or "data") + ".success.ctx_schema.{data__success__ctxschema_key}".format(**locals()) + "", definition={'type': 'object'}, rule='type')
                if data__success_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".success must not contain "+str(data__success_keys)+" properties", value=data__success, name="" + (name_prefix or "data") + ".success", definition={'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}, rule='additionalProperties')
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'properties': {'idx': {'type': 'integer', 'description': 'Order hint: ties in the DAG broken by idx, then file order.'}, 'name': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'type': {'enum': ['python', 'shell', 'exec']}, 'module': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$'}, 'function': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, 'script': {'type': 'string', 'minLength': 1}, 'cmd': {'type': 'string', 'minLength': 1}, 'args': {'type': ['object', 'array']}, 'depends_on': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'parallel': {'type': 'boolean'}, 'requires_process': {'type': 'boolean'}, 'timeout': {'type': 'number', 'exclusiveMinimum': 0}, 'retry': {'type': 'object', 'additionalProperties': False, 'required': ['max'], 'properties': {'max': {'type': 'integer', 'minimum': 0}, 'delay_sec': {'type': 'number', 'minimum': 0}, 'backoff': {'type': 'number', 'minimum': 1}}}, 'cache_key': {'type': 'string', 'minLength': 1}, 'xfail': {'type': ['string', 'boolean']}, 'finally': {'type': 'boolean'}, 'exclusive': {'type': 'boolean'}, 'markers': {'type': 'array', 'items': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}}, 'success': {'type': 'object', 'additionalProperties': False, 'properties': {'ctx_has_keys': {'type': 'array', 'items': {'type': 'string'}}, 'files_exist': {'type': 'array', 'items': {'type': 'string'}}, 'ctx_schema': {'type': 'object', 'additionalProperties': {'type': 'object'}}}}}, 'additionalProperties': False}, rule='additionalProperties')
    return data

def validate_https___pytest_orchestrator_invalid_recipe_schema_json___defs_stepname(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, rule='type')
    if isinstance(data, str):
        if not REGEX_PATTERNS['^[A-Za-z_][A-Za-z0-9_]*$'].search(data):
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must match pattern ^[A-Za-z_][A-Za-z0-9_]*$", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, rule='pattern')
    return data

def validate_https___pytest_orchestrator_invalid_recipe_schema_json___defs_marker(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, rule='type')
    if isinstance(data, str):
        if not REGEX_PATTERNS['^[A-Za-z_][A-Za-z0-9_]*$'].search(data):
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must match pattern ^[A-Za-z_][A-Za-z0-9_]*$", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]*$'}, rule='pattern')
    return data
validate = validate_https___pytest_orchestrator_invalid_recipe_schema_json
