{#
    The rows of the latest accepted vintage of every scope of one feed (FEEDS.md "Identity,
    scope and vintages"): from raw.<feed_id> the whole file that raw.current_vintages (landing's
    view, the one home of "current") names for each (period, scope). A row left out of a newer
    vintage is gone: nothing is kept from older vintages.
    A 合计 row stays only in hierarchical feeds (the registry's `hierarchical`, through the
    source's meta), where the grand total is a row of its own; elsewhere it is the file's
    sum, used by the balance checks on raw and never counted as data.
#}
{% macro current_vintage_rows(feed_id) -%}
{%- set keep_total_rows = execute and graph.sources['source.' ~ project_name ~ '.raw.' ~ feed_id].config.meta.get('hierarchical', false) -%}
select
    landed.*,
    current_vintage.vintage as _vintage
from {{ source('raw', feed_id) }} as landed
inner join {{ source('raw', 'current_vintages') }} as current_vintage
    on
        current_vintage.feed_id = '{{ feed_id }}'
        and landed._file_sha256 = current_vintage.file_sha256
        and landed._period = current_vintage.period
        and landed._scope = current_vintage.scope
{%- if not keep_total_rows %}
where not coalesce(landed._is_total, false)
{%- endif %}
{%- endmacro %}


{#
    The lineage columns every raw table carries (ingest/registry.py LINEAGE_COLUMNS, through
    the generated __sources.yml), as a select list with an optional table alias.
#}
{% macro lineage_columns(feed_id, relation_alias=none) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- set node = graph.sources['source.' ~ project_name ~ '.raw.' ~ feed_id] -%}
        {%- for name in node.columns if name.startswith('_') -%}
            {%- do names.append(name) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if names | length == 0 -%}
        {#- parse time: the graph is not there yet; the list only matters when SQL runs -#}
        {%- do names.append('_feed_id') -%}
    {%- endif -%}
    {%- do names.append('_vintage') -%}
    {%- for name in names %}
    {{ prefix }}{{ name }}{{ ',' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
