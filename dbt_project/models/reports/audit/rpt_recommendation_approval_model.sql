{#- Approval likelihood per shop and recommendation scope; doc block `approval_model_rules`. -#}

with

decisions as (
    select
        audit.shop_domain,
        audit.scope,
        audit.recommendation,
        audit.decision = 'approved' as is_approved,
        audit.created_at,
        shops.as_of_at,
        audit.created_at >= shops.as_of_at - interval '30 days' as is_held_back
    from {{ ref('audit_decision_log') }} as audit
    inner join {{ ref('shops') }} as shops
        on audit.shop_domain = shops.shop_domain
    where audit.decision in ('approved', 'rejected') and audit.created_at <= shops.as_of_at
),

weighted as (
    select
        *,
        -- recency weight: halves every 30 days of age, at the as-of time / at the hold-back start
        power(0.5, extract(epoch from as_of_at - created_at) / 86400.0 / 30) as weight,
        power(0.5, extract(epoch from as_of_at - interval '30 days' - created_at) / 86400.0 / 30)
            as training_weight
    from decisions
),

priors as (
    select
        shop_domain,
        avg(is_approved::integer) as prior_rate,
        avg(is_approved::integer) filter (where not is_held_back) as training_prior_rate
    from weighted
    group by shop_domain
),

fitted as (
    select
        weighted.shop_domain,
        weighted.scope,
        count(*) as decisions,
        count(*) filter (where weighted.is_approved) as approvals,
        sum(weighted.weight) as weight,
        sum(weighted.weight) filter (where weighted.is_approved) as approved_weight,
        coalesce(sum(weighted.training_weight) filter (where not weighted.is_held_back), 0)
            as training_weight,
        coalesce(
            sum(weighted.training_weight) filter (where weighted.is_approved and not weighted.is_held_back), 0
        ) as training_approved_weight,
        max(weighted.created_at) as last_decision_at
    from weighted
    group by weighted.shop_domain, weighted.scope
),

model as (
    select
        fitted.*,
        (coalesce(fitted.approved_weight, 0) + {{ var('approval_prior_strength') }} * priors.prior_rate)
        / (fitted.weight + {{ var('approval_prior_strength') }}) as likelihood,
        (fitted.training_approved_weight + {{ var('approval_prior_strength') }} * priors.training_prior_rate)
        / (fitted.training_weight + {{ var('approval_prior_strength') }}) as training_likelihood,
        priors.training_prior_rate
    from fitted
    {{ join_each('fitted', ['priors'], ['shop_domain'], 'inner') }}
),

backtest as (
    select
        weighted.shop_domain,
        weighted.scope,
        count(*) as backtest_decisions,
        avg(((model.training_likelihood >= 0.5) = weighted.is_approved)::integer) as accuracy,
        avg(power(model.training_likelihood - weighted.is_approved::integer, 2)) as brier,
        avg(((model.training_prior_rate >= 0.5) = weighted.is_approved)::integer) as baseline_accuracy
    from weighted
    inner join model
        on weighted.shop_domain = model.shop_domain and weighted.scope = model.scope
    where weighted.is_held_back and model.training_likelihood is not null
    group by weighted.shop_domain, weighted.scope
),

rejected_texts as (
    select
        shop_domain,
        scope,
        regexp_replace(recommendation, '[0-9]+', 'N', 'g') as recommendation_pattern,
        count(*) as times_rejected
    from decisions
    where not is_approved
    group by shop_domain, scope, regexp_replace(recommendation, '[0-9]+', 'N', 'g')
),

rejections as (
    select distinct on (shop_domain, scope)
        shop_domain,
        scope,
        recommendation_pattern as most_rejected_recommendation,
        sum(times_rejected) over (partition by shop_domain, scope) as rejections
    from rejected_texts
    order by shop_domain asc, scope asc, times_rejected desc, recommendation_pattern asc
),

final as (
    select
        model.shop_domain,
        model.scope,
        model.decisions,
        model.approvals,
        {{ views_pct('model.approvals', 'model.decisions', 2) }} as approval_rate_pct,
        round(100 * model.likelihood, 2) as approval_likelihood_pct,
        model.last_decision_at,
        coalesce(backtest.backtest_decisions, 0) as backtest_decisions,
        round(100 * backtest.accuracy, 2) as backtest_accuracy_pct,
        round(backtest.brier, 4) as backtest_brier_score,
        round(100 * backtest.baseline_accuracy, 2) as backtest_baseline_accuracy_pct,
        coalesce(rejections.rejections, 0) as rejections,
        rejections.most_rejected_recommendation
    from model
    left join backtest
        on model.shop_domain = backtest.shop_domain and model.scope = backtest.scope
    left join rejections
        on model.shop_domain = rejections.shop_domain and model.scope = rejections.scope
)

select * from final
