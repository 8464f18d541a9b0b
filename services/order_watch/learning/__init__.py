"""Learning: the delivery model fitted from this shop's own history, and the rule thresholds.

Pure modules: `distribution` (Kaplan–Meier), `transit` (delivery-day counting and a parcel's
outlook), `model` (the fitted, versioned model), `fit` (order snapshots → model), `policy`
(thresholds per rule and severity). The rules read the model and the policy from the catalog
they are handed (`Catalog.with_learning`).
"""
