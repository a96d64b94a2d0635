{{ config(**period_mart_config()) }}
-- 重点服务业企业培育清单 over time: per (period, tier, status) the enterprises of the period's list,
-- the entries listed this period, and the moves into 调出 (exits) and 替补 (replacements) since the
-- enterprise's previous snapshot.
with

listed as (
    select * from {{ ref('stg_enterprise_cultivation__enterprises') }}
    where not coalesce(_is_total, false)
),

with_previous as (
    select
        listed.period,
        listed.uscc,
        listed.tier,
        listed.status,
        listed.listed_month,
        lag(listed.status) over (partition by listed.uscc order by listed.period) as previous_status
    from listed
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

-- Every (tier, status) seen in any period, so a count that falls to zero shows as 0.
grid as (
    select
        periods.period,
        cells.tier,
        cells.status
    from (select distinct period from in_range) as periods
    cross join (select distinct
        tier,
        status
    from listed) as cells
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
