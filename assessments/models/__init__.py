from .accounts import Profile
from .assessments import Answer, Assessment, Evidence, InventoryRow, LetterDetails, StaffAccess
from .catalogue import Category, DataItem, Municipality, Partner, Project, Source, Topic
from .reviews import (
    AnswerHistory,
    Comment,
    Membership,
    Organisation,
    ResidentViews,
    ResidentViewsChange,
    Reviewer,
    ReviewOpinion,
    StatusChange,
)
from .organisations import INVITATION_VALID_FOR, Invitation
from .questionsets import ChangelogEntry, Choice, Level, Question, QuestionSet, QuestionSetFrozen, Section

__all__ = [
    "AnswerHistory",
    "Comment",
    "INVITATION_VALID_FOR",
    "Invitation",
    "Membership",
    "Organisation",
    "ResidentViews",
    "ResidentViewsChange",
    "Reviewer",
    "ReviewOpinion",
    "StatusChange",
    "Answer",
    "Assessment",
    "Evidence",
    "InventoryRow",
    "LetterDetails",
    "StaffAccess",
    "Category",
    "ChangelogEntry",
    "Choice",
    "DataItem",
    "Level",
    "Municipality",
    "Partner",
    "Profile",
    "Topic",
    "Project",
    "Question",
    "QuestionSet",
    "QuestionSetFrozen",
    "Section",
    "Source",
]
