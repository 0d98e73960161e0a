"""Reference system: Splink 5 with DuckDB on plaintext records, without the SSN.

The model follows Splink's own FEBRL4 and FEBRL3 examples with every use of
``soc_sec_id`` removed and the remaining address fields added (Splink weighs each field
on its own, so each adds evidence): Fellegi–Sunter comparisons on names (with term
frequencies), date of birth, street number, postcode, both address lines, suburb and
state. The prior comes from deterministic rules, ``u`` from random sampling (fixed
seed), ``m`` from expectation maximisation without labels (blocked on birth date, then
on postcode). Pairs with match probability ≥ ``MATCH_PROBABILITY`` are links; clusters
are their connected components (Splink's ``cluster_pairwise_predictions_at_threshold``).
"""

from __future__ import annotations

import logging

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

MATCH_PROBABILITY = 0.5
U_SAMPLING_PAIRS = 1e7
SEED = 2

_NAMES_SWAPPED = "l.given_name = r.surname and l.surname = r.given_name"
_BLOCKING_RULES = [
    block_on("given_name", "surname"),
    _NAMES_SWAPPED,
    block_on("date_of_birth"),
    block_on("state", "address_1"),
    block_on("street_number", "address_1"),
    block_on("postcode"),
]
_DETERMINISTIC_RULES = [
    block_on("given_name", "surname", "date_of_birth"),
    f"{_NAMES_SWAPPED} and l.date_of_birth = r.date_of_birth",
]


def _settings(link_type: str) -> SettingsCreator:
    return SettingsCreator(
        unique_id_column_name="rec_id",
        link_type=link_type,
        blocking_rules_to_generate_predictions=_BLOCKING_RULES,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
            cl.LevenshteinAtThresholds("address_1", [1, 2]),
            cl.LevenshteinAtThresholds("address_2", [1, 2]),
            cl.LevenshteinAtThresholds("suburb", [1, 2]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("state").configure(term_frequency_adjustments=True),
        ],
    )


def _trained_linker(frames: list[pd.DataFrame], link_type: str) -> Linker:
    db_api = DuckDBAPI()
    tables = [
        db_api.register(frame.reset_index(), dataset_display_name=f"input_{k}")
        for k, frame in enumerate(frames)
    ]
    # ERROR: on the --quick sample some date levels go unobserved, and Splink warns.
    linker = Linker(tables, _settings(link_type), log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(_DETERMINISTIC_RULES, recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLING_PAIRS, seed=SEED)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    return linker


def link(left: pd.DataFrame, right: pd.DataFrame) -> set[tuple[str, str]]:
    """Pairs (left rec_id, right rec_id) with match probability ≥ ``MATCH_PROBABILITY``."""
    linker = _trained_linker([left, right], "link_only")
    predictions = linker.inference.predict(threshold_match_probability=MATCH_PROBABILITY)
    left_ids = set(left.index)
    pairs = predictions.as_pandas_dataframe()[["rec_id_l", "rec_id_r"]].itertuples(index=False)
    # Splink orders each pair by its own rules; put the left file's record first.
    return {(one, other) if one in left_ids else (other, one) for one, other in pairs}


def dedup(records: pd.DataFrame) -> list[set[str]]:
    """Connected components of the pairs with match probability ≥ ``MATCH_PROBABILITY``."""
    linker = _trained_linker([records], "dedupe_only")
    predictions = linker.inference.predict(threshold_match_probability=MATCH_PROBABILITY)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=MATCH_PROBABILITY
    ).as_pandas_dataframe()
    return [set(ids) for _, ids in clusters.groupby("cluster_id")["rec_id"]]
