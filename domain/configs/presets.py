"""Day-one rulebooks: ``language-learning``, ``fitness``, ``productivity`` and ``custom``.

Each preset is a complete rulebook document in canonical form (what ``Rulebook.to_dict``
writes), so applying a preset stores exactly the document shown by ``GET /presets/{key}``.
The helpers below only fill in the defaults; they are not a second schema.

``language-learning`` follows the contract's example: a ``lesson_completed`` event with
ordinary properties earns exactly 10 coins and nothing else visible in the seed's response
(no token rule and no badge fires on a first, ordinary lesson).
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any, Final

from domain.shared.errors import NotFound

Doc = dict[str, Any]


def _cond(prop: str, operator: str, value: Any) -> Doc:
    return {"property": prop, "operator": operator, "value": value}


def _skill(key: str, name: str, max_value: int = 100, points_per_level: int = 20) -> Doc:
    return {"key": key, "name": name, "max_value": max_value, "points_per_level": points_per_level}


def _coin(
    rule_id: str,
    event_type: str,
    amount: int,
    *,
    conditions: list[Doc] | None = None,
    daily_cap: int | None = None,
    weekly_cap: int | None = None,
    multiplier: float = 1.0,
    total_limit: int | None = None,
    audience: str | None = None,
) -> Doc:
    return {
        "id": rule_id,
        "event_type": event_type,
        "amount": amount,
        "conditions": conditions or [],
        "daily_cap": daily_cap,
        "weekly_cap": weekly_cap,
        "multiplier": multiplier,
        "total_limit": total_limit,
        "audience": audience,
    }


def _skill_rule(
    rule_id: str, event_type: str, skill_key: str, amount: int, conditions: list[Doc] | None = None
) -> Doc:
    return {
        "id": rule_id,
        "event_type": event_type,
        "skill_key": skill_key,
        "amount": amount,
        "conditions": conditions or [],
        "audience": None,
    }


def _earn(
    rule_id: str,
    event_type: str,
    amount: int,
    *,
    weekly_cap: int | None = None,
    conditions: list[Doc] | None = None,
) -> Doc:
    return {
        "id": rule_id,
        "event_type": event_type,
        "amount": amount,
        "conditions": conditions or [],
        "weekly_cap": weekly_cap,
        "audience": None,
    }


def _tokens(
    primary: tuple[str, str, int | None, list[Doc]], progression: tuple[str, str, list[Doc]]
) -> Doc:
    p_key, p_label, p_max, p_rules = primary
    g_key, g_label, g_rules = progression
    return {
        "primary": {
            "token_key": p_key,
            "label": p_label,
            "earn_rules": p_rules,
            "max_balance": p_max,
        },
        "progression": {"token_key": g_key, "label": g_label, "earn_rules": g_rules},
    }


def _badge(
    key: str,
    name: str,
    description: str,
    condition: Doc,
    coin_reward: int | None = None,
    auto_award: bool = True,
) -> Doc:
    return {
        "key": key,
        "name": name,
        "description": description,
        "condition": condition,
        "coin_reward": coin_reward,
        "auto_award": auto_award,
        "token_rewards": {},
    }


def _milestone(event_type: str, count: int) -> Doc:
    return {"kind": "milestone", "event_type": event_type, "count": count}


def _stage(
    stage: int,
    *,
    tokens: int | None = None,
    skills: dict[str, int] | None = None,
    badges: list[str] | None = None,
    coins: int | None = None,
) -> Doc:
    return {
        "stage": stage,
        "conditions": {
            "min_progression_tokens": tokens,
            "min_skill_levels": dict(sorted((skills or {}).items())),
            "badges": badges or [],
            "min_coins_earned": coins,
        },
    }


SHOP: Final = "shop"
"""Every preset sells its items in one marketplace, so a new tenant has a shop on day one."""


def _item(item_id: str, name: str, category: str, price: int) -> Doc:
    return {
        "item_id": item_id,
        "name": name,
        "category": category,
        "price_coins": price,
        "price_tokens": None,
        "description": "",
        "rarity": "common",
        "stock": None,
        "requirements": [],
        "image_url": None,
        "stage_image_urls": {},
        "marketplace_id": SHOP,
        "sort_order": 0,
    }


def _streak(key: str, event_type: str) -> Doc:
    """A daily streak of one event type, in canonical form."""
    return {
        "key": key,
        "event_types": [event_type],
        "period": "daily",
        "tick_coins": None,
        "milestones": [],
        "display_mode": "count",
        "max_row_icons": None,
        "freeze_token_key": None,
        "audience": None,
    }


def _rulebook(
    *,
    event_types: list[str],
    skills: list[Doc],
    coin_rules: list[Doc],
    skill_rules: list[Doc],
    token_config: Doc,
    badges: list[Doc],
    streaks: list[Doc],
    stages: list[Doc],
    items: list[Doc],
) -> Doc:
    return {
        "event_types": event_types,
        "skills": skills,
        "coin_rules": coin_rules,
        "skill_rules": skill_rules,
        "token_config": token_config,
        "badges": badges,
        "streaks": streaks,
        "evolution": {"auto_evolve": False, "stages": stages},
        "items": [{**item, "sort_order": index} for index, item in enumerate(items)],
        "marketplaces": [
            {"id": SHOP, "name": "Shop", "description": "Items for your buddy.", "active": True}
        ],
        "gates": [],
        "decay_rules": [],  # decay is opt-in per customer
    }


LANGUAGE_LEARNING: Final[Doc] = _rulebook(
    event_types=[
        "lesson_completed",
        "quiz_passed",
        "speaking_practice_completed",
        "listening_exercise_completed",
        "daily_goal_reached",
    ],
    skills=[
        _skill("vocabulary", "Vocabulary"),
        _skill("grammar", "Grammar"),
        _skill("listening", "Listening"),
        _skill("speaking", "Speaking"),
    ],
    coin_rules=[
        _coin("lesson_completed", "lesson_completed", 10, daily_cap=50),
        _coin(
            "perfect_lesson_bonus",
            "lesson_completed",
            5,
            conditions=[_cond("score", "eq", 100)],
            daily_cap=25,
        ),
        _coin("quiz_passed", "quiz_passed", 15, daily_cap=45),
        _coin("speaking_practice", "speaking_practice_completed", 10, daily_cap=30),
        _coin("listening_exercise", "listening_exercise_completed", 8, daily_cap=24),
        _coin("daily_goal_reached", "daily_goal_reached", 20, daily_cap=20, weekly_cap=140),
    ],
    skill_rules=[
        _skill_rule("lesson_vocabulary", "lesson_completed", "vocabulary", 2),
        _skill_rule("quiz_grammar", "quiz_passed", "grammar", 3),
        _skill_rule("speaking_skill", "speaking_practice_completed", "speaking", 4),
        _skill_rule("listening_skill", "listening_exercise_completed", "listening", 4),
    ],
    token_config=_tokens(
        ("stars", "Stars", 10_000, [_earn("daily_goal_stars", "daily_goal_reached", 1)]),
        (
            "xp",
            "XP",
            [
                _earn("quiz_xp", "quiz_passed", 10, weekly_cap=500),
                _earn("speaking_xp", "speaking_practice_completed", 8, weekly_cap=400),
                _earn("listening_xp", "listening_exercise_completed", 6, weekly_cap=300),
                _earn("daily_goal_xp", "daily_goal_reached", 20, weekly_cap=140),
            ],
        ),
    ),
    badges=[
        _badge(
            "first_steps",
            "First Steps",
            "Complete 5 lessons.",
            _milestone("lesson_completed", 5),
            coin_reward=25,
        ),
        _badge(
            "scholar",
            "Scholar",
            "Complete 25 lessons.",
            _milestone("lesson_completed", 25),
            coin_reward=120,
        ),
        _badge(
            "week_warrior",
            "Week Warrior",
            "Complete a lesson 7 days in a row.",
            {"kind": "streak", "streak_key": "daily_lesson", "days": 7},
            coin_reward=50,
        ),
        _badge(
            "grammar_guru",
            "Grammar Guru",
            "Reach grammar level 3.",
            {"kind": "skill_level", "skill_key": "grammar", "level": 3},
        ),
        _badge(
            "coin_collector",
            "Coin Collector",
            "Earn 500 coins in total.",
            {"kind": "coin_threshold", "coins": 500},
        ),
        _badge("fledgling", "Fledgling", "Reach stage 2.", {"kind": "stage", "stage": 2}),
        _badge(
            "book_lover",
            "Book Lover",
            "Own the reading glasses and the scholar's scarf.",
            {"kind": "collection", "item_ids": ["reading_glasses", "scholar_scarf"]},
        ),
    ],
    streaks=[_streak("daily_lesson", "lesson_completed")],
    stages=[
        _stage(2, coins=100, badges=["first_steps"]),
        _stage(3, tokens=150, skills={"vocabulary": 1}),
        _stage(4, tokens=600, skills={"grammar": 2}, badges=["scholar"]),
        _stage(5, tokens=1500, skills={"grammar": 4, "vocabulary": 4}, coins=2000),
    ],
    items=[
        _item("library_background", "Library", "background", 150),
        _item("scholar_scarf", "Scholar's Scarf", "neck", 60),
        _item("reading_glasses", "Reading Glasses", "face", 80),
        _item("graduation_cap", "Graduation Cap", "head", 200),
        _item("quill", "Quill", "hand", 50),
        _item("flag_pin", "Flag Pin", "accessory", 30),
    ],
)

FITNESS: Final[Doc] = _rulebook(
    event_types=["workout_logged", "steps_goal_reached", "personal_record_set", "rest_day_logged"],
    skills=[
        _skill("strength", "Strength"),
        _skill("endurance", "Endurance"),
        _skill("flexibility", "Flexibility"),
    ],
    coin_rules=[
        _coin("workout_logged", "workout_logged", 15, daily_cap=45),
        _coin(
            "long_workout_bonus",
            "workout_logged",
            10,
            conditions=[_cond("duration_minutes", "gte", 45)],
            daily_cap=10,
        ),
        _coin("steps_goal_reached", "steps_goal_reached", 10, daily_cap=10),
        _coin("personal_record", "personal_record_set", 25, weekly_cap=75),
        _coin("first_workouts_bonus", "workout_logged", 10, total_limit=5),
    ],
    skill_rules=[
        _skill_rule(
            "strength_workout",
            "workout_logged",
            "strength",
            3,
            [_cond("kind", "in", ["strength", "hiit"])],
        ),
        _skill_rule(
            "endurance_workout",
            "workout_logged",
            "endurance",
            3,
            [_cond("kind", "in", ["run", "cycle", "swim", "hiit"])],
        ),
        _skill_rule(
            "flexibility_workout",
            "workout_logged",
            "flexibility",
            3,
            [_cond("kind", "in", ["yoga", "stretching"])],
        ),
        _skill_rule("steps_endurance", "steps_goal_reached", "endurance", 1),
    ],
    token_config=_tokens(
        ("reps", "Reps", 5_000, [_earn("record_reps", "personal_record_set", 2, weekly_cap=6)]),
        (
            "stamina",
            "Stamina",
            [
                _earn("workout_stamina", "workout_logged", 10, weekly_cap=300),
                _earn("steps_stamina", "steps_goal_reached", 5, weekly_cap=35),
            ],
        ),
    ),
    badges=[
        _badge(
            "first_sweat",
            "First Sweat",
            "Log your first workout.",
            _milestone("workout_logged", 1),
            coin_reward=10,
        ),
        _badge(
            "iron_will",
            "Iron Will",
            "Log 50 workouts.",
            _milestone("workout_logged", 50),
            coin_reward=150,
        ),
        _badge(
            "seven_day_streak",
            "Seven-Day Streak",
            "Work out 7 days in a row.",
            {"kind": "streak", "streak_key": "daily_workout", "days": 7},
            coin_reward=70,
        ),
        _badge(
            "strong_one",
            "Strong One",
            "Reach strength level 3.",
            {"kind": "skill_level", "skill_key": "strength", "level": 3},
        ),
        _badge(
            "record_breaker",
            "Record Breaker",
            "Set 5 personal records.",
            _milestone("personal_record_set", 5),
        ),
        _badge(
            "coach_pick",
            "Coach's Pick",
            "Earn 1,000 coins, then a coach hands it over.",
            {"kind": "coin_threshold", "coins": 1000},
            auto_award=False,
        ),
    ],
    streaks=[_streak("daily_workout", "workout_logged")],
    stages=[
        _stage(2, tokens=100),
        _stage(3, tokens=400, badges=["first_sweat"], coins=300),
        _stage(4, tokens=1000, skills={"endurance": 2, "strength": 2}),
        _stage(5, tokens=2500, badges=["iron_will", "seven_day_streak"]),
    ],
    items=[
        _item("gym_background", "Gym", "background", 150),
        _item("running_shoes", "Running Shoes", "feet", 100),
        _item("dumbbell", "Dumbbell", "hand", 80),
        _item("sweatband", "Sweatband", "head", 40),
        _item("medal", "Medal", "neck", 120),
        _item("water_bottle", "Water Bottle", "accessory", 30),
    ],
)

PRODUCTIVITY: Final[Doc] = _rulebook(
    event_types=["task_completed", "focus_session_completed", "project_completed", "inbox_zero"],
    skills=[
        _skill("focus", "Focus"),
        _skill("organization", "Organization"),
        _skill("consistency", "Consistency"),
    ],
    coin_rules=[
        _coin("task_completed", "task_completed", 5, daily_cap=50),
        _coin(
            "priority_task_bonus",
            "task_completed",
            5,
            conditions=[_cond("priority", "eq", "high")],
            daily_cap=20,
        ),
        _coin("focus_session", "focus_session_completed", 10, daily_cap=40),
        _coin("project_completed", "project_completed", 50, weekly_cap=150),
        _coin("inbox_zero", "inbox_zero", 15, daily_cap=15),
    ],
    skill_rules=[
        _skill_rule("focus_skill", "focus_session_completed", "focus", 3),
        _skill_rule("task_organization", "task_completed", "organization", 1),
        _skill_rule("inbox_consistency", "inbox_zero", "consistency", 2),
    ],
    token_config=_tokens(
        ("points", "Points", 10_000, [_earn("project_points", "project_completed", 5)]),
        (
            "xp",
            "XP",
            [
                _earn("task_xp", "task_completed", 2, weekly_cap=200),
                _earn("focus_xp", "focus_session_completed", 5, weekly_cap=150),
                _earn("project_xp", "project_completed", 25),
            ],
        ),
    ),
    badges=[
        _badge(
            "getting_things_done",
            "Getting Things Done",
            "Complete 10 tasks.",
            _milestone("task_completed", 10),
            coin_reward=20,
        ),
        _badge(
            "deep_worker",
            "Deep Worker",
            "Complete 20 focus sessions.",
            _milestone("focus_session_completed", 20),
            coin_reward=60,
        ),
        _badge(
            "shipper",
            "Shipper",
            "Complete your first project.",
            _milestone("project_completed", 1),
            coin_reward=30,
        ),
        _badge(
            "laser_focus",
            "Laser Focus",
            "Reach focus level 3.",
            {"kind": "skill_level", "skill_key": "focus", "level": 3},
        ),
        _badge(
            "five_day_flow",
            "Five-Day Flow",
            "Complete tasks 5 days in a row.",
            {"kind": "streak", "streak_key": "daily_task", "days": 5},
            coin_reward=40,
        ),
    ],
    streaks=[_streak("daily_task", "task_completed")],
    stages=[
        _stage(2, tokens=50, badges=["getting_things_done"]),
        _stage(3, tokens=250, skills={"focus": 1}),
        _stage(4, tokens=700, badges=["shipper"], coins=800),
        _stage(5, tokens=1800, skills={"focus": 3, "organization": 3}),
    ],
    items=[
        _item("office_background", "Cozy Office", "background", 150),
        _item("headphones", "Noise-Cancelling Headphones", "head", 120),
        _item("coffee_mug", "Coffee Mug", "hand", 40),
        _item("tie", "Tie", "neck", 60),
        _item("sticky_notes", "Sticky Notes", "accessory", 20),
    ],
)

CUSTOM: Final[Doc] = _rulebook(
    event_types=["action_completed"],
    skills=[_skill("progress", "Progress")],
    coin_rules=[_coin("action_completed", "action_completed", 5, daily_cap=100)],
    skill_rules=[_skill_rule("action_progress", "action_completed", "progress", 1)],
    token_config=_tokens(
        ("gems", "Gems", None, []),
        ("xp", "XP", [_earn("action_xp", "action_completed", 5)]),
    ),
    badges=[
        _badge(
            "getting_started",
            "Getting Started",
            "Complete 10 actions.",
            _milestone("action_completed", 10),
            coin_reward=20,
        ),
        _badge(
            "regular",
            "Regular",
            "Be active 7 days in a row.",
            {"kind": "streak", "streak_key": "daily_action", "days": 7},
        ),
    ],
    streaks=[_streak("daily_action", "action_completed")],
    stages=[
        _stage(2, tokens=100),
        _stage(3, tokens=400),
        _stage(4, tokens=1000),
        _stage(5, tokens=2500),
    ],
    items=[
        _item("meadow_background", "Meadow", "background", 100),
        _item("cap", "Cap", "head", 50),
        _item("scarf", "Scarf", "neck", 40),
        _item("sunglasses", "Sunglasses", "face", 60),
        _item("balloon", "Balloon", "accessory", 20),
    ],
)

_PRESETS: Final[dict[str, Doc]] = {
    "language-learning": LANGUAGE_LEARNING,
    "fitness": FITNESS,
    "productivity": PRODUCTIVITY,
    "custom": CUSTOM,
}

PRESET_SUMMARIES: Final[tuple[dict[str, str], ...]] = (
    {
        "key": "language-learning",
        "name": "Language learning",
        "description": "Lessons, quizzes and practice build vocabulary, grammar, listening "
        "and speaking; daily lesson streaks and XP drive evolution.",
    },
    {
        "key": "fitness",
        "name": "Fitness",
        "description": "Workouts, step goals and personal records build strength, endurance "
        "and flexibility; stamina drives evolution.",
    },
    {
        "key": "productivity",
        "name": "Productivity",
        "description": "Tasks, focus sessions and shipped projects build focus, organization "
        "and consistency; XP drives evolution.",
    },
    {
        "key": "custom",
        "name": "Custom",
        "description": "A minimal generic starting point: one event type, one skill, one coin "
        "rule, two badges. Shape it to your product.",
    },
)

PRESET_KEYS: Final = tuple(s["key"] for s in PRESET_SUMMARIES)


def preset_document(key: str) -> Doc:
    """A fresh copy of preset ``key``'s rulebook; unknown keys are ``resource_not_found``."""
    try:
        return deepcopy(_PRESETS[key])
    except KeyError:
        raise NotFound("preset", key) from None


def preset_summary(key: str) -> dict[str, str]:
    for summary in PRESET_SUMMARIES:
        if summary["key"] == key:
            return dict(summary)
    raise NotFound("preset", key)
