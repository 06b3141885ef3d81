"""Creating and editing risks, their controls and actions, reviews, close and reopen."""

urlpatterns: list = []
