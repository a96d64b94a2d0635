{#
    Readers of what ingest/registry.py says about the raw tables, through the generated
    models/staging/__sources.yml (`python -m ingest.dbt_artifacts`): no rule of the registry is
    written here, only read from the source nodes' meta.
#}

{# The column `column` of source raw.<feed_id> as the graph holds it (none at parse time). #}
{% macro raw_column_node(feed_id, column) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.raw.' ~ feed_id] -%}
    {%- if column not in node.columns -%}
        {{ exceptions.raise_compiler_error("raw." ~ feed_id ~ " has no column " ~ column ~ " / 原始表无此列") }}
    {%- endif -%}
    {{ return(node.columns[column]) }}
{%- endmacro %}


{# The registry's unit table (ingest/registry.py UNITS): unit -> [dimension, factor to its base unit]. #}
{% macro registry_units() -%}
    {%- if not execute -%}{{ return({}) }}{%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.raw.file_register'] -%}
    {{ return(node.source_meta.get('units') or node.config.meta.get('units', {})) }}
{%- endmacro %}


{#
    `expr` in `from_unit` brought to `to_unit` by the registry's factors: `(expr * factor)`,
    `expr` itself when the factor is 1. Units of different dimensions are a compile error.
#}
{% macro convert_amount(expr, from_unit, to_unit) -%}
    {%- if not execute -%}{{ return(expr) }}{%- endif -%}
    {%- set units = registry_units() -%}
    {%- if from_unit not in units or to_unit not in units -%}
        {{ exceptions.raise_compiler_error("convert_amount: unknown unit " ~ from_unit ~ " or " ~ to_unit ~ " / 未知单位") }}
    {%- endif -%}
    {%- if units[from_unit][0] != units[to_unit][0] -%}
        {{ exceptions.raise_compiler_error("convert_amount: cannot convert " ~ from_unit ~ " to " ~ to_unit ~ " / 量纲不同，不能换算") }}
    {%- endif -%}
    {%- set factor = units[from_unit][1] / units[to_unit][1] -%}
    {%- if factor == 1 -%}{{ expr }}{%- else -%}({{ expr }} * {{ factor }}){%- endif -%}
{%- endmacro %}


{# The unit a raw column holds (registry Column.unit) and the one staging brings it to (warehouse_unit, else the same). #}
{% macro raw_unit(feed_id, column) -%}
    {%- set node = raw_column_node(feed_id, column) -%}
    {{ return(node.config.meta.get('unit') if node else none) }}
{%- endmacro %}

{% macro warehouse_unit(feed_id, column) -%}
    {%- set node = raw_column_node(feed_id, column) -%}
    {{ return((node.config.meta.get('warehouse_unit') or node.config.meta.get('unit')) if node else none) }}
{%- endmacro %}


{# A raw column in the warehouse's common unit (staging): `<alias>.<column>` converted from its raw unit. #}
{% macro in_warehouse_unit(feed_id, column, relation_alias='source') -%}
    {%- set expr = relation_alias ~ '.' ~ column -%}
    {%- if not execute -%}{{ return(expr) }}{%- endif -%}
    {%- set from_unit = raw_unit(feed_id, column) -%}
    {%- if from_unit is none -%}{{ return(expr) }}{%- endif -%}
    {{ return(convert_amount(expr, from_unit, warehouse_unit(feed_id, column))) }}
{%- endmacro %}


{#
    A quantity a rule states in a unit of its own (e.g. 百亿级 = 100 亿元) in the warehouse unit of
    staged `<feed_id>.<column>`, so the comparison runs on the staged values unconverted (exact for
    factors such as 亿元 → 万元 = 10000).
#}
{% macro in_staged_unit(quantity, unit, feed_id, column) -%}
    {%- if not execute -%}{{ return(quantity) }}{%- endif -%}
    {{ return(convert_amount(quantity, unit, warehouse_unit(feed_id, column))) }}
{%- endmacro %}


{#
    Select-list for a department column: `<column>` canonical (as written when it does not
    resolve), `<column>_raw` as written, and `dept_resolved`. Landing resolved the name once
    (ingest/reference.py canonical_department) and stored it as `<column>_canonical`.
#}
{% macro department_columns(column, relation_alias='source') -%}
    coalesce({{ relation_alias }}.{{ column }}_canonical, {{ relation_alias }}.{{ column }}) as {{ column }},
    {{ relation_alias }}.{{ column }} as {{ column }}_raw,
    ({{ relation_alias }}.{{ column }}_canonical is not null) as dept_resolved
{%- endmacro %}


{#
    The cadence a run uses: the override var's (feed_id -> cadence) where given, else the default
    column. A cadence the registry does not declare for the feed (source meta `cadences`) is a
    compile error.
#}
{% macro overridden_cadence(feed_id_expr, default_expr, overrides) -%}
    {%- if execute -%}
        {%- for feed_id, cadence in overrides.items() -%}
            {%- set node = graph.sources.get('source.' ~ project_name ~ '.raw.' ~ feed_id) -%}
            {%- set declared = node.config.meta.get('cadences', []) if node else [] -%}
            {%- if cadence not in declared -%}
                {{ exceptions.raise_compiler_error(
                    "feed_cadence_overrides: " ~ feed_id ~ " cannot be received " ~ cadence
                    ~ " (declared: " ~ (declared | join(', ') or 'unknown feed') ~ ") / 数据源未登记该报送频率") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if overrides -%}
        case {{ feed_id_expr }}
            {%- for feed_id, cadence in overrides.items() %}
            when '{{ feed_id }}' then '{{ cadence }}'
            {%- endfor %}
            else {{ default_expr }}
        end
    {%- else -%}
        {{ default_expr }}
    {%- endif -%}
{%- endmacro %}


{#
    An enum column whose written values stand for codes (registry Column.codes, e.g. 类型 累计 →
    cumulative), decoded: `case <alias>.<column> when '累计' then 'cumulative' … end` (NULL for a
    value that is none of them: the enum check flags it on raw).
#}
{% macro decoded(feed_id, column, relation_alias='source') -%}
    {%- set expr = relation_alias ~ '.' ~ column -%}
    {%- if not execute -%}{{ return('cast(null as varchar)') }}{%- endif -%}
    {%- set codes = raw_column_node(feed_id, column).config.meta.get('codes') or {} -%}
    {%- if not codes -%}
        {{ exceptions.raise_compiler_error("raw." ~ feed_id ~ "." ~ column ~ " has no codes / 该列无代码对照") }}
    {%- endif -%}
    case {{ expr }}
        {%- for written, code in codes.items() %}
        when '{{ written }}' then '{{ code }}'
        {%- endfor %}
    end
{%- endmacro %}


{# The registry's whole-number units (ingest/registry.py COUNT_UNITS: 家 个 项 场, 人 名, 人次). #}
{% macro registry_count_units() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.raw.file_register'] -%}
    {{ return(node.source_meta.get('count_units') or node.config.meta.get('count_units', [])) }}
{%- endmacro %}


{#
    A derived quantity in `unit_expr` as readers can use it (INDICATORS.md "Targets for years the plan
    does not state"): rounded up to a whole number when the unit is a count (0.25 enterprises a year
    is not a target), as it is otherwise. The tolerance keeps 50.000000001 at 50.
#}
{% macro round_up_count(expr, unit_expr) -%}
    {%- set units = registry_count_units() -%}
    {%- if units -%}
    case
        when {{ unit_expr }} in ({% for unit in units %}'{{ unit }}'{{ ', ' if not loop.last }}{% endfor %})
            then ceil({{ expr }} - 1e-9)
        else {{ expr }}
    end
    {%- else -%}
    {{ expr }}
    {%- endif -%}
{%- endmacro %}


{# The values a raw enum column allows (registry Column.enum, through the source meta), as a list. #}
{% macro enum_values(feed_id, column) -%}
    {%- set node = raw_column_node(feed_id, column) -%}
    {{ return(node.config.meta.get('enum', []) if node else []) }}
{%- endmacro %}
