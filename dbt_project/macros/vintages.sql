{#
    The rows of the latest accepted vintage of every scope of one feed (FEEDS.md "Identity,
    scope and vintages"): per (feed, period, scope) the raw.vintages row with the highest
    `vintage`, and from raw.<feed_id> the whole file it names. A row left out of a newer
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
inner join (
    select feed_id, period, scope, file_sha256, vintage
    from (
        select
            vintages.feed_id,
            vintages.period,
            vintages.scope,
            vintages.file_sha256,
            vintages.vintage,
            row_number() over (
                partition by vintages.feed_id, vintages.period, vintages.scope
                order by vintages.vintage desc
            ) as vintage_rank
        from {{ source('raw', 'vintages') }} as vintages
        where
            vintages.feed_id = '{{ feed_id }}'
            and exists (
                select 1
                from {{ source('raw', 'file_register') }} as register
                where
                    register.file_sha256 = vintages.file_sha256
                    and register.feed_id = vintages.feed_id
                    and register.status = 'accepted'
            )
    ) as ranked
    where vintage_rank = 1
) as current_vintage
    on
        landed._file_sha256 = current_vintage.file_sha256
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
