import RoutedCore
