{{ config(**period_mart_config()) }}
-- 重点服务业企业培育清单 over time: per (period, tier, status) the enterprises of the period's list,
-- the entries listed this period, and the moves into 调出 (exits) and 替补 (replacements) since the
-- list's previous snapshot (the latest earlier period with a list: read set rule previous_release).
with

listed as (
    select * from {{ ref('stg_enterprise_cultivation__enterprises') }}
    where not coalesce(_is_total, false)
),

snapshots as (
    select distinct period from listed
),

previous_snapshot as (
    select
        current_list.period,
        max(earlier.period) as previous_period
    from snapshots as current_list
    inner join snapshots as earlier on current_list.period > earlier.period
    group by current_list.period
),

with_previous as (
    select
        listed.period,
        listed.uscc,
        listed.tier,
        listed.status,
        listed.listed_month,
        previous_list.status as previous_status
    from listed
    left join previous_snapshot on listed.period = previous_snapshot.period
    left join listed as previous_list
        on previous_snapshot.previous_period = previous_list.period and listed.uscc = previous_list.uscc
),

-- Bounded after the lag, not in `listed`: an exit in the first period of the range is judged
-- against the enterprise's snapshot before it.
in_range as (
    select * from with_previous
    {% if is_incremental() %}
        where {{ in_run_periods() }}
    {% endif %}
),

flagged as (
    select
        period,
        tier,
        status,
        uscc,
        listed_month = period as is_entry,
        status = '调出' and coalesce(previous_status, '') <> '调出' as is_exit,
        status = '替补' and coalesce(previous_status, '') <> '替补' as is_replacement
    from in_range
),

-- Every (tier, status) the registry allows (its enums), so an empty cell shows as 0 and a period's
-- rows never depend on later lists.
tiers as (
    {%- for tier in enum_values('enterprise_cultivation', 'tier') %}
        select '{{ tier }}' as tier{% if not loop.last %}
            union all{% endif %}
    {%- endfor %}
),

statuses as (
    {%- for status in enum_values('enterprise_cultivation', 'status') %}
        select '{{ status }}' as status{% if not loop.last %}
            union all{% endif %}
    {%- endfor %}
),

grid as (
    select
        periods.period,
        tiers.tier,
        statuses.status
    from (select distinct period from in_range) as periods
    cross join tiers
    cross join statuses
),

final as (
    select
        grid.period,
        grid.tier,
        grid.status,
        cast(count(distinct flagged.uscc) as integer) as enterprise_count,
        cast(count(distinct case when flagged.is_entry then flagged.uscc end) as integer) as entries,
        cast(count(distinct case when flagged.is_exit then flagged.uscc end) as integer) as exits,
        cast(count(distinct case when flagged.is_replacement then flagged.uscc end) as integer) as replacements
    from grid
    left join flagged
        on grid.period = flagged.period and grid.tier = flagged.tier and grid.status = flagged.status
    group by grid.period, grid.tier, grid.status
)

select * from final
