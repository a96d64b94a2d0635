{{ config(**period_mart_config()) }}
-- 督导服务销号表: each period's snapshot of the supervision items, with the state at the end of
-- the period: 已销号 (closed by then), 逾期 (still open after its due date), 未销号 (open, not yet due).
with

items as (
    select * from {{ ref('stg_supervision_items__items') }}
    where
        not coalesce(_is_total, false)
    {% if is_incremental() %}
        and {{ in_run_periods() }}
    {% endif %}
),

dated as (
    select
        items.*,
        cast({{ dbt.last_day('cast(items.period || \'-01\' as date)', 'month') }} as date) as period_end
    from items
),

judged as (
    select
        dated.*,
        -- A closing date after the period's end (a late file) does not close the item in this period;
        -- a row marked 已销号 without a date is taken at its word.
        (
            (dated.closed_on is not null and dated.closed_on <= dated.period_end)
            or (dated.closed_on is null and dated.status = '已销号')
        ) as is_closed
    from dated
),

final as (
    select
        period,
        item_id,
        responsible_dept,
        responsible_dept_raw,
        dept_resolved,
        description,
        raised_on,
        due_on,
        closed_on,
        status as reported_status,
        period_end,
        case
            when is_closed then '已销号'
            when due_on < period_end then '逾期'
            else '未销号'
        end as state,
        cast(case
            when not is_closed and due_on < period_end then {{ dbt.datediff('due_on', 'period_end', 'day') }}
            else 0
        end as integer) as days_overdue,
        coalesce(is_closed and closed_on > due_on, false) as closed_late,
        _file_name,
        _row_number
    from judged
)

select * from final
