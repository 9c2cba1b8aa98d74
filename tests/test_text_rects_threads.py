"""style.text_rects noted in a module global: two pictures drawn in two threads at once
mixed their notes, lost one's, and left a list collecting every later note for ever."""

import threading

import pygame

from armsim.view import style


def test_text_rects_of_two_threads_are_kept_apart():
    surface = pygame.Surface((100, 100))
    entered, left = threading.Event(), threading.Event()
    seen = {}

    def other():
        with style.text_rects() as written:
            entered.set()
            style.wrote(surface, (1, 1, 5, 5))
        seen["other"] = list(written)
        left.set()

    with style.text_rects() as mine:
        thread = threading.Thread(target=other)
        style.wrote(surface, (10, 10, 5, 5))
        thread.start()
        entered.wait(10)
        left.wait(10)          # the other thread's block has ended inside this one
        style.wrote(surface, (20, 20, 5, 5))
    thread.join(10)
    assert mine == [pygame.Rect(10, 10, 5, 5), pygame.Rect(20, 20, 5, 5)]
    assert seen["other"] == [pygame.Rect(1, 1, 5, 5)]
    style.wrote(surface, (30, 30, 5, 5))        # outside every block: noted nowhere
    assert mine[-1] == pygame.Rect(20, 20, 5, 5) and len(seen["other"]) == 1
    with style.text_rects() as outer:           # nested: the outer list gets the inner's
        with style.text_rects() as inner:
            style.wrote(surface, (40, 40, 5, 5))
        assert inner == [pygame.Rect(40, 40, 5, 5)]
    assert outer == inner
