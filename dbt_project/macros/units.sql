{#
    Unit conversion, one home in dbt: factors to each dimension's base unit. They mirror
    ingest/registry.py UNITS (tests/test_dbt_indicators.py fails when the two drift apart).
#}
{% macro unit_factors() -%}
    {{ return({
        '元': ('money', 1.0),
        '千元': ('money', 1000.0),
        '万元': ('money', 10000.0),
        '亿元': ('money', 100000000.0),
        '美元': ('usd', 1.0),
        '万美元': ('usd', 10000.0),
        '人': ('persons', 1.0),
        '万人': ('persons', 10000.0),
        '名': ('persons', 1.0),
        '人次': ('person_times', 1.0),
        '万人次': ('person_times', 10000.0),
        '%': ('percent', 1.0),
        '个': ('count', 1.0),
        '家': ('count', 1.0),
        '场': ('count', 1.0),
        '项': ('count', 1.0),
    }) }}
{%- endmacro %}


{# `expr` in `from_unit` brought to `to_unit` (same dimension only; anything else is a compile error). #}
{% macro convert_unit(expr, from_unit, to_unit) -%}
    {%- set factors = unit_factors() -%}
    {%- if from_unit not in factors or to_unit not in factors -%}
        {{ exceptions.raise_compiler_error("convert_unit: unknown unit " ~ from_unit ~ " or " ~ to_unit ~ " / 未知单位") }}
    {%- endif -%}
    {%- if factors[from_unit][0] != factors[to_unit][0] -%}
        {{ exceptions.raise_compiler_error("convert_unit: cannot convert " ~ from_unit ~ " to " ~ to_unit ~ " / 量纲不同，不能换算") }}
    {%- endif -%}
    {%- set factor = factors[from_unit][1] / factors[to_unit][1] -%}
    {%- if factor == 1 -%}({{ expr }}){%- else -%}(({{ expr }}) * {{ factor }}){%- endif -%}
{%- endmacro %}
