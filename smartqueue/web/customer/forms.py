"""Customer forms (shape only: the rating's range and the comment's length are the
operation's, analytics.ratings.rate_ticket, with their French messages)."""

from wtforms import StringField, TextAreaField

from ..forms import Form


class RatingForm(Form):
    """A served visit's rating: 1 to 5, and an optional comment."""

    rating = StringField()
    comment = TextAreaField()
