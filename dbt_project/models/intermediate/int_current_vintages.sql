-- The current vintage of every scope (feed, period, scope): the highest accepted vintage,
-- with when it arrived. The periods spine and completeness read it.
with

vintages as (
    select * from {{ source('raw', 'vintages') }}
),

accepted as (
    select
        file_sha256,
        feed_id,
        max(submitted_on) as submitted_on
    from {{ source('raw', 'file_register') }}
    where status = 'accepted'
    group by file_sha256, feed_id
),

ranked as (
    select
        vintages.feed_id,
        vintages.period,
        vintages.scope,
        vintages.file_sha256,
        vintages.vintage,
        vintages.received_at,
        accepted.submitted_on,
        row_number() over (
            partition by vintages.feed_id, vintages.period, vintages.scope
            order by vintages.vintage desc
        ) as vintage_rank
    from vintages
    inner join accepted
        on vintages.file_sha256 = accepted.file_sha256 and vintages.feed_id = accepted.feed_id
),

final as (
    select
        feed_id,
        period,
        scope,
        file_sha256,
        vintage,
        received_at,
        submitted_on
    from ranked
    where vintage_rank = 1
)

select * from final
